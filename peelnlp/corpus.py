"""The annotated corpus: JSON Lines page records with gold labels and the raw page text.

``load_corpus`` reads every ``*.jsonl`` under a folder in a fixed order; ``fingerprint`` is the
SHA-256 that trained models record; ``check_corpus`` reports every problem at once, each with its
``file:line``; ``corpus_stats`` counts labels for the datasheet.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .gaps import rec_status
from .records import KINDS, STATUSES, STRANDS, Page, parse_json
from .refs import explicit_refs

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SOC_THEMES = frozenset({
    "ocg-management", "lro-4p", "soc-governance", "local-profile-partnership", "rocu-socu",
    "analysts-intelligence", "scpo", "asset-recovery", "county-lines", "modern-slavery",
    "prevention-diversion", "fraud-cyber", "soc-peel", "soc", "soc-peel-summary", "soc-thematic", "soc-national",
    "soc-reinspection", "soc-pcc", "soc-minutes", "soc-press", "soc-force-web", "multi-soc",
})


@dataclass(frozen=True)
class CorpusPage:
    page: Page
    raw: str
    theme: str
    where: str


def corpus_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise CorpusError(f"{root}: no corpus here; expected a folder of *.jsonl page records (see corpus/README.md)")
    return sorted(root.rglob("*.jsonl"))


def fingerprint(root: Path) -> str:
    """SHA-256 over every corpus file's relative path and bytes, in sorted order."""
    digest = hashlib.sha256()
    base = root if root.is_dir() else root.parent
    for path in corpus_files(root):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _records(root: Path) -> Iterator[tuple[str, dict | None, str | None]]:
    for path in corpus_files(root):
        with path.open("rb") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                where = f"{path.name}:{line_no}"
                try:
                    yield where, parse_json(line.decode("utf-8")), None
                except UnicodeDecodeError as exc:
                    yield where, None, f"not UTF-8 text (bad byte at column {exc.start + 1}); save the file as UTF-8"
                except json.JSONDecodeError as exc:
                    yield where, None, f"not a JSON object ({exc.msg} at column {exc.colno})"


def load_corpus(root: Path = DEFAULT_CORPUS) -> list[CorpusPage]:
    """Every page of the corpus; raises CorpusError naming the first broken record (run ``corpus check``)."""
    from .corpuscheck import check_fields

    pages = []
    for where, record, error in _records(root):
        problems = [error] if error else check_fields(record)
        if problems:
            raise CorpusError(f"{where}: {problems[0]}; run `peelnlp corpus check` for every problem")
        pages.append(CorpusPage(Page.from_dict(record), record["raw"], record.get("theme", ""), where))
    if not pages:
        raise _no_records(root)
    return pages


def _no_records(root: Path) -> CorpusError:
    return CorpusError(f"{root}: the corpus has no page records; add *.jsonl files")


def check_corpus(root: Path = DEFAULT_CORPUS) -> list[str]:
    """Every problem in the corpus as ``file:line: message``; empty when all is well."""
    from .corpuscheck import check_record

    problems: list[str] = []
    seen: dict[str, str] = {}
    records = 0
    for where, record, error in _records(root):
        records += 1
        if error or not isinstance(record, dict):
            problems.append(f"{where}: {error or 'expected a JSON object'}")
            continue
        key = str(record.get("id"))
        if key in seen:
            problems.append(f"{where}: id {key!r} already used at {seen[key]}; give every page its own id")
        seen.setdefault(key, where)
        problems.extend(f"{where}: {p}" for p in check_record(record))
    if not records:
        raise _no_records(root)
    return problems


def corpus_stats(root: Path = DEFAULT_CORPUS) -> dict:
    """Label counts for the datasheet and the minimums the corpus must meet."""
    pages = load_corpus(root)
    kinds, strands, kind_strand, statuses, themes = Counter(), Counter(), Counter(), Counter(), Counter()
    recs_per_page, linked = Counter(), Counter()
    for cp in pages:
        page = cp.page
        themes[cp.theme] += 1
        recs_per_page[len(page.recommendations)] += 1
        statuses.update(rec_status(r.n, page.segments).status for r in page.recommendations)
        for seg in page.segments:
            kinds[seg.kind] += 1
            strands.update(seg.strands)
            kind_strand.update(f"{seg.kind}×{s}" for s in seg.strands or ("none",))
            if len(page.recommendations) >= 3 and seg.recs:
                linked["explicit" if explicit_refs(seg.text) else "implicit"] += 1
    n_soc = sum(v for k, v in themes.items() if k in SOC_THEMES)
    return {
        "pages": len(pages), "segments": sum(kinds.values()),
        "recommendations": sum(n * c for n, c in recs_per_page.items()),
        "soc_pages": n_soc, "soc_share": round(n_soc / len(pages), 3),
        "pages_with_3plus_recs": sum(c for n, c in recs_per_page.items() if n >= 3),
        "kinds": _ordered(kinds, KINDS), "strands": _ordered(strands, STRANDS),
        "statuses": _ordered(statuses, STATUSES), "kind_x_strand": dict(sorted(kind_strand.items())),
        "recs_per_page": dict(sorted(recs_per_page.items())), "themes": dict(themes.most_common()),
        "links_on_3plus_pages": dict(linked),
    }


def _ordered(counter: Counter, labels: tuple[str, ...]) -> dict[str, int]:
    return {label: counter.get(label, 0) for label in labels}
