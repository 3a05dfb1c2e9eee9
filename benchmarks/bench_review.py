"""Benchmark ``peelnlp review`` on a large results file: time to the first screen and peak memory.

The results come from ``bench_score.py``'s input (the corpus's raw pages repeated with varied ids
until there are ``--pages``), scored once with ``peelnlp score --workers 2`` into
``benchmarks/out/review_N.sqlite`` and copied to JSON Lines (reused by later runs). Each
measurement runs in a child process:

- **review**: ``run_review`` on the results, quitting at the first screen (its decisions go to a
  fresh copy of the decision store, so every run ranks the same queue);
- **floor**: the least any review must do: read every tagged page back (``load_pages``), keeping
  none, after the same imports.

Run: python benchmarks/bench_review.py [--pages 20000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_score import OUT, build_input  # noqa: E402

# Each child prints "seconds peak-MiB"; ru_maxrss is in KiB on Linux.
_CHILD = {
    "review": """
import resource, sys, time
from pathlib import Path
from peelnlp.review import run_review
start = time.perf_counter()
first = []
def key():
    first.append(time.perf_counter() - start)
    return "q"
outcome = run_review(Path(sys.argv[1]), key, lambda text: None)
print(f"{first[0]:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {outcome.queued}")
""",
    "floor": """
import resource, sys, time
from pathlib import Path
import peelnlp.review
from peelnlp.gapquery import load_pages
start = time.perf_counter()
n = sum(1 for _ in load_pages(Path(sys.argv[1])))
print(f"{time.perf_counter() - start:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {n}")
""",
}


def scored_results(pages: int) -> tuple[Path, Path]:
    """The benchmark's results database and its JSON Lines copy, scored once and then reused."""
    db, jsonl = OUT / f"review_{pages}.sqlite", OUT / f"review_{pages}.jsonl"
    if not db.exists():
        source, _ = build_input(pages)
        subprocess.run([sys.executable, "-c", "from peelnlp.cli import app; app()", "score", str(source),
                        "--out", str(db), "--workers", "2", "--quiet"], check=True)
    if not jsonl.exists():
        from peelnlp.resultload import load_pages
        from peelnlp.reviewstore import write_atomic

        write_atomic(jsonl, (json.dumps(page.to_dict(), ensure_ascii=False) + "\n" for page in load_pages(db)))
    return db, jsonl


def measure(what: str, results: Path) -> tuple[float, float, int]:
    """Seconds, peak RSS (MiB) and count (queued segments, or pages read) of one child run."""
    work = OUT / f"work{results.suffix}"
    for stale in OUT.glob("work.*"):
        stale.unlink()
    shutil.copyfile(results, work)  # a fresh copy: no decisions, so every run ranks the whole queue
    done = subprocess.run([sys.executable, "-c", _CHILD[what], str(work)], check=True, capture_output=True, text=True)
    seconds, peak, count = done.stdout.split()
    return float(seconds), float(peak), int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20_000, help="pages in the results (default 20000)")
    args = parser.parse_args()
    db, jsonl = scored_results(args.pages)
    print(f"results: {args.pages} pages ({db.name} {db.stat().st_size / 1e6:.0f} MB, "
          f"{jsonl.name} {jsonl.stat().st_size / 1e6:.0f} MB)")
    print("| results | floor: read every page | review: first screen | time ratio | floor peak | review peak | "
          "segments queued |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for results in (db, jsonl):
        floor_s, floor_mib, _ = measure("floor", results)
        review_s, review_mib, queued = measure("review", results)
        print(f"| {results.suffix[1:]} | {floor_s:.2f} s | {review_s:.2f} s | {review_s / floor_s:.2f}× | "
              f"{floor_mib:.0f} MiB | {review_mib:.0f} MiB | {queued:,} |")


if __name__ == "__main__":
    main()
