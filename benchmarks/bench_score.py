"""Benchmark ``peelnlp score``: pages/s and words/s for 1 and 2 workers, peak memory, and the floor.

The input is built from the raw pages of ``corpus/*.jsonl`` (or ``examples/*.txt`` when there is
no corpus), repeated with varied ids until it holds ``--pages`` pages. Each configuration runs the
real command in a child process (``peelnlp score IN.jsonl --out OUT.sqlite --workers N``); its
wall time includes start-up and model loading. Its peak memory is summed over the process tree
twice: as RSS, which counts the pages that processes share once per process, and as PSS, which
splits each shared page between the processes that share it (what the run really holds).

The floor is the least any segmenter must do: the same progress comments through
``spacy.blank("en")`` plus the ``sentencizer``, with ``nlp.pipe``, in one process. It is timed
before and after every run, and each run is compared with the two floors around it.

Run: python benchmarks/bench_score.py [--pages 20000] [--workers 1,2] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import median_high

import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
_TITLE_ID = re.compile(r"\(([^()]+)\)\s*$", re.M)


def raw_pages() -> list[tuple[str, str]]:
    """(id, raw text) of every corpus page, or of the example pages when the corpus is absent."""
    pages = []
    for path in sorted((ROOT / "corpus").glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            if line.strip():
                record = json.loads(line)
                pages.append((str(record["id"]), record["raw"]))
    if not pages:
        pages = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").glob("*.txt"))]
    if not pages:
        sys.exit("no corpus/*.jsonl and no examples/*.txt to build the benchmark input from")
    return pages


def varied(pages: list[tuple[str, str]], n: int) -> Iterator[tuple[str, str]]:
    """``n`` pages cycling through ``pages``; copy k of page ID gets id ID-k, in its title too."""
    for i in range(n):
        page_id, raw = pages[i % len(pages)]
        new_id = f"{page_id}-{i // len(pages)}"
        first, _, rest = raw.partition("\n")
        if _TITLE_ID.search(first):
            first = _TITLE_ID.sub(f"({new_id})", first, count=1)
        yield new_id, f"{first}\n{rest}"


def build_input(n: int) -> tuple[Path, int]:
    """Write the JSON Lines input; return its path and its word count."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench_{n}.jsonl"
    words = 0
    with path.open("w", encoding="utf-8") as fh:
        for page_id, raw in varied(raw_pages(), n):
            words += len(raw.split())
            fh.write(json.dumps({"id": page_id, "text": raw}, ensure_ascii=False) + "\n")
    return path, words


def run_score(source: Path, workers: int, model: str | None, batch_size: int) -> tuple[float, float, tuple[float, float], str]:
    """Run the command in a child process: wall seconds, CPU seconds, peak RSS and PSS (MiB) of the
    process tree, and the command's summary line."""
    out = OUT / f"bench_w{workers}.sqlite"
    for stale in OUT.glob(out.name + "*"):
        stale.unlink()
    cmd = [sys.executable, "-c", "from peelnlp.cli import app; app()", "score", str(source), "--out", str(out),
           "--workers", str(workers), "--batch-size", str(batch_size), "--quiet"]
    if model:
        cmd += ["--model", model]
    cpu_before = _children_cpu()
    start = time.perf_counter()
    proc = psutil.Popen(cmd, stderr=subprocess.PIPE, text=True)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        rss = _tree_memory(proc, lambda p: p.memory_info().rss)
        if rss >= peak_rss:
            # PSS reads every mapping of every process (about 7 ms each): only at a new peak of RSS,
            # which a run with flat memory soon stops reaching, so the sampling costs it little.
            peak_rss = rss
            peak_pss = max(peak_pss, _tree_memory(proc, _pss))
        time.sleep(0.5)  # polling more often costs the run it measures
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    summary = proc.stderr.read().strip().splitlines()
    if proc.returncode != 0:
        sys.exit(f"score with {workers} worker(s) failed ({proc.returncode}): {' '.join(summary[-3:])}")
    return seconds, cpu, (peak_rss / 2**20, peak_pss / 2**20), summary[-1] if summary else ""


def _children_cpu() -> float:
    """User + system seconds of every finished child process (and the children they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pss(p: psutil.Process) -> int:
    info = p.memory_full_info()
    return getattr(info, "pss", info.rss)  # PSS is Linux's; elsewhere RSS stands in


def _tree_memory(proc: psutil.Process, measure: Callable[[psutil.Process], int]) -> int:
    """``measure`` (bytes) summed over the process and its children."""
    total = 0
    try:
        for p in [proc, *proc.children(recursive=True)]:
            total += measure(p)
    except psutil.Error:
        pass
    return total


def floor_comments(source: Path) -> list[str]:
    from peelnlp.parse import parse_page

    comments = []
    with source.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            comments.extend(text for _, text in parse_page(record["text"], record["id"]).comments())
    return comments


def run_floor(comments: list[str]) -> tuple[float, float, tuple[float, float]]:
    """The comments through blank English + sentencizer: seconds, CPU seconds, RSS and PSS (MiB)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    start, cpu = time.perf_counter(), time.process_time()
    for _ in nlp.pipe(comments, batch_size=256):
        pass
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    me = psutil.Process()
    return seconds, cpu, (me.memory_info().rss / 2**20, _pss(me) / 2**20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20_000, help="pages in the input (default 20000)")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--model", default=None, help="model folder (default: models/default/)")
    args = parser.parse_args()
    source, words = build_input(args.pages)
    print(f"input: {args.pages} pages, {words:,} words ({source.relative_to(ROOT)}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    # The machine's speed drifts by a quarter over minutes, so the floor is timed before and after
    # every run, and each run is compared with the mean of the two floors around it.
    comments = floor_comments(source)
    floors = [run_floor(comments)]
    times, memory, rows, around = {}, {}, [], {}
    for n in (int(w) for w in args.workers.split(",")):
        seconds, cpu, memory[n], summary = run_score(source, n, args.model, args.batch_size)
        print(f"--workers {n}: {summary}; load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
        floors.append(run_floor(comments))
        times[n], around[n] = seconds, (floors[-2][0] + floors[-1][0]) / 2
        rows.append((f"peelnlp score --workers {n}", seconds, cpu, memory[n], words))
    seconds = [f[0] for f in floors]
    spread = f"median of {len(floors)}, {min(seconds):.1f}–{max(seconds):.1f} s"
    floor_row = (f"floor: blank en + sentencizer (comments only; {spread})", median_high(seconds),
                 median_high(f[1] for f in floors), floors[0][2], sum(len(c.split()) for c in comments))
    print(table([floor_row, *rows], args.pages))
    print(verdict(times, around, memory))


def table(rows: list[tuple[str, float, float, tuple[float, float], int]], pages: int) -> str:
    lines = ["| run | wall s | CPU s | pages/s | words/s | peak RSS (MiB) | peak PSS (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, seconds, cpu, (rss, pss), words in rows:
        lines.append(f"| {name} | {seconds:.1f} | {cpu:.1f} | {pages / seconds:,.0f} | {words / seconds:,.0f} "
                     f"| {rss:,.0f} | {pss:,.0f} |")
    return "\n".join(lines)


def verdict(times: dict[int, float], floors: dict[int, float], memory: dict[int, tuple[float, float]]) -> str:
    """``floors``: per run, the mean of the floor timed just before and just after it."""
    out = []
    if 1 in times:
        ratio = times[1] / floors[1]
        out.append(f"1 worker / floor = {ratio:.1f}× against the floors around it ({floors[1]:.1f} s; "
                   f"target ≤ 3×: {'met' if ratio <= 3 else 'MISSED'})")
    if 1 in times and 2 in times:
        speedup = times[1] / times[2]
        out.append(f"2 workers speed-up = {speedup:.2f}× (target ≥ 1.7×: {'met' if speedup >= 1.7 else 'MISSED'})")
    for n, (rss, pss) in memory.items():
        rss_mb, pss_mb = rss * 2**20 / 1e6, pss * 2**20 / 1e6
        out.append(f"{n} worker(s): peak {rss_mb:.0f} MB RSS, {pss_mb:.0f} MB PSS over the process tree "
                   f"(target < 500 MB: {'met' if rss_mb < 500 else 'met as PSS' if pss_mb < 500 else 'MISSED'})")
    return "\n".join(out)


if __name__ == "__main__":
    main()
