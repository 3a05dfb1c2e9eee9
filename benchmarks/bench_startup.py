"""Start-up benchmark: `peelnlp tag` on one page against a bare `import spacy, sklearn`.

A liaison lead tagging one comment waits for the whole process, so the target is a ratio measured
in the same run on the same machine: `peelnlp tag PAGE` ≤ 1.25 × `python -c "import spacy, sklearn"`.

usage: python benchmarks/bench_startup.py [--runs 7] [PAGE]
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?", default=str(ROOT / "examples" / "west-mercia-8929.txt"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    peelnlp = shutil.which("peelnlp") or str(Path(sys.executable).with_name("peelnlp"))
    floor_cmd = [sys.executable, "-c", "import spacy, sklearn"]
    tag_cmd = [peelnlp, "tag", args.page]
    # A wheel install byte-compiles the package; an editable one under PYTHONDONTWRITEBYTECODE would
    # recompile every module on every run, which no installed user pays.
    compileall.compile_dir(ROOT / "peelnlp", quiet=1)
    timed(floor_cmd), timed(tag_cmd)  # warm the file cache
    floor, tag = [], []
    for _ in range(args.runs):  # interleaved, so drift in machine load hits both alike
        floor.append(timed(floor_cmd))
        tag.append(timed(tag_cmd))
    f, t = statistics.median(floor), statistics.median(tag)
    print("| command | median of %d runs (s) |" % args.runs)
    print("|---|---:|")
    print(f"| python -c \"import spacy, sklearn\" (floor) | {f:.2f} |")
    print(f"| peelnlp tag {Path(args.page).name} | {t:.2f} |")
    print(f"\nratio {t / f:.2f} (target ≤ 1.25)")


if __name__ == "__main__":
    main()
