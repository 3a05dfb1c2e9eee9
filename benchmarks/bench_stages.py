"""Where batch scoring's time goes: seconds per 1,000 pages for each stage, against the floor.

One process, the pages of the ``bench_score.py`` input held in memory, each stage timed on the
whole of its input after a warm-up run (median of ``--runs``). Beside the stages it times two bounds:

- the **floor** of ``bench_score.py``: the same comments through ``spacy.blank("en")`` plus the
  ``sentencizer``, here with a pipeline that has seen the input once, as peelnlp's has;
- **bare models**: the least any scikit-learn model over the segments must do. A word TF-IDF
  (unigrams and bigrams, scikit-learn's own tokenizer) fitted on the corpus's segments, a
  logistic regression for the kind and one per strand, applied to every segment of the input.
  No context, no cues, no linker, no records.

Parsing, segmenting and the bare models together are the least the design of ``peelnlp score``
(a page parser, a spaCy segmenter, scikit-learn models) can cost; the table gives that sum as a
multiple of the floor.

Run: python benchmarks/bench_stages.py [--pages 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_score import build_input  # noqa: E402

FLOOR = "floor: blank en + sentencizer"
BARE = "bare models: word TF-IDF + linear kind and strands"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bare_models() -> tuple[Any, Any, list[Any]]:
    """A word TF-IDF and linear models for the kind and each strand, fitted on the corpus."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from peelnlp.corpus import load_corpus
    from peelnlp.records import STRANDS

    segments = [s for cp in load_corpus() for s in cp.page.segments]
    texts = [s.text for s in segments]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
    X = vectorizer.transform(texts)
    kind = LogisticRegression(max_iter=500).fit(X, [s.kind for s in segments])
    strands = [LogisticRegression(max_iter=500).fit(X, [s in seg.strands for seg in segments]) for s in STRANDS]
    return vectorizer, kind, strands


def one_run(source: Path, pages: int, floor: Any, models: tuple[Any, Any, list[Any]], tagger: Any) -> dict[str, float]:
    from peelnlp.inputs import read_inputs
    from peelnlp.pipeline import parse_sources
    from peelnlp.resultrows import page_rows
    from peelnlp.results import Counts, RunInfo, Scored, SQLiteSink
    from peelnlp.segment import segment_pages

    t: dict[str, float] = {}
    t["reading and hashing the inputs"], tasks = timed(lambda: list(read_inputs([str(source)]))[:pages])
    t["parsing pages"], parsed = timed(lambda: list(parse_sources(x.source for x in tasks)))
    comments = [text for page in parsed for _, text in page.comments()]
    t[FLOOR], _ = timed(lambda: sum(1 for _ in floor.pipe(comments, batch_size=256)))
    t["segmenting"], segmented = timed(lambda: list(segment_pages(parsed)))
    texts = [s.text for page in segmented for s in page.segments]
    vectorizer, kind, strands = models
    t[BARE], _ = timed(
        lambda: [(kind.predict_proba(X), [m.predict_proba(X) for m in strands])
                 for X in (vectorizer.transform(texts[i:i + 1000]) for i in range(0, len(texts), 1000))])
    t["classifying (features, models, linker, status)"], tagged = timed(lambda: list(tagger.tag_pages(segmented)))
    t["building the rows"], rows = timed(lambda: [page_rows(p) for p in tagged])
    scored = [Scored(x.key, p.id, x.source.name, encoded=r) for x, p, r in zip(tasks, tagged, rows)]
    with tempfile.TemporaryDirectory() as tmp:
        sink = SQLiteSink(Path(tmp) / "bench.sqlite")

        def write() -> None:
            sink.start(RunInfo(tagger.version, None, (source.name,)))
            for i in range(0, len(scored), 64):
                sink.write(scored[i:i + 64])
            sink.finish(Counts(ok=len(scored)))

        t["writing SQLite"], _ = timed(write)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import spacy

    from peelnlp.store import load_tagger

    source, _ = build_input(args.pages)
    floor, models, tagger = spacy.blank("en"), bare_models(), load_tagger(None)
    floor.add_pipe("sentencizer")
    gc.freeze()  # as the workers of `peelnlp score` do
    # The warm-up teaches both spaCy pipelines the input's words, so neither is timed learning its
    # vocabulary (a fresh pipeline on 2,000 pages spends about half its time on that).
    one_run(source, args.pages, floor, models, tagger)
    runs = [one_run(source, args.pages, floor, models, tagger) for _ in range(args.runs)]
    per_1000 = {k: statistics.median(r[k] for r in runs) / args.pages * 1000 for k in runs[0]}
    floor = per_1000[FLOOR]
    print(f"| stage (per 1,000 pages; median of {args.runs} runs on {args.pages:,} pages) | seconds | × floor |")
    print("|---|---:|---:|")
    for name, seconds in per_1000.items():
        print(f"| {name} | {seconds:.3f} | {seconds / floor:.1f} |")
    total = sum(seconds for name, seconds in per_1000.items() if name not in (FLOOR, BARE))
    least = per_1000["parsing pages"] + per_1000["segmenting"] + per_1000[BARE]
    print(f"| all stages of `peelnlp score` | {total:.3f} | {total / floor:.1f} |")
    print(f"| least of the design: parsing + segmenting + bare models | {least:.3f} | {least / floor:.1f} |")


if __name__ == "__main__":
    main()
