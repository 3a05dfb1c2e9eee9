"""The records every stage passes along, matching the page record of the project's JSON schema.

Records are frozen: a stage returns a new record (``dataclasses.replace``) instead of editing one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

KINDS: tuple[str, ...] = ("action", "plan", "verified", "concern", "oversight", "other")
STRANDS: tuple[str, ...] = ("pursue", "prevent", "protect", "prepare")
STATUSES: tuple[str, ...] = ("evidenced", "concern", "planned-only", "no-activity")
EVIDENCE_KINDS = frozenset({"action", "verified"})
SUBSTANTIVE: tuple[str, ...] = ("action", "plan", "verified", "concern")  # kinds that can address a recommendation


@dataclass(frozen=True)
class Recommendation:
    n: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "text": self.text}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recommendation:
        return cls(n=int(d["n"]), text=str(d["text"]))


@dataclass(frozen=True)
class Entry:
    """One timeline entry: a status change (``status``) or a progress comment (``comment``)."""

    date: str | None
    status: str | None = None
    comment: str | None = None

    @property
    def is_comment(self) -> bool:
        return self.comment is not None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"date": self.date}
        if self.comment is not None:
            d["comment"] = self.comment
        else:
            d["status"] = self.status
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entry:
        return cls(date=d.get("date"), status=d.get("status"), comment=d.get("comment"))


@dataclass(frozen=True)
class Segment:
    """A piece of one comment: ``start``/``end`` are character offsets into ``timeline[entry].comment``."""

    entry: int
    start: int
    end: int
    text: str
    kind: str | None = None
    recs: tuple[int, ...] = ()
    strands: tuple[str, ...] = ()
    scores: dict[str, Any] | None = field(default=None, compare=False)
    needs_review: bool = False
    explanation: dict[str, Any] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"entry": self.entry, "start": self.start, "end": self.end, "text": self.text}
        if self.kind is not None:
            d.update(kind=self.kind, recs=list(self.recs), strands=list(self.strands))
        if self.scores is not None:
            d["scores"] = self.scores
            d["needs_review"] = self.needs_review
        if self.explanation is not None:
            d["explanation"] = self.explanation
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], comment: str | None = None) -> Segment:
        start, end = d.get("start"), d.get("end")
        if start is None and comment is not None:
            start = max(comment.find(d["text"]), 0)
        start = int(start or 0)
        end = int(end) if end is not None else start + len(d["text"])
        return cls(
            entry=int(d["entry"]), start=start, end=end, text=d["text"], kind=d.get("kind"),
            recs=tuple(int(n) for n in d.get("recs", ())), strands=tuple(d.get("strands", ())),
            scores=d.get("scores"), needs_review=bool(d.get("needs_review", False)),
            explanation=d.get("explanation"),
        )


@dataclass(frozen=True)
class RecStatus:
    """A recommendation's page-level status and the segment indexes that decided it."""

    n: int
    status: str
    evidence: tuple[int, ...] = ()
    reason: str = ""

    @property
    def is_gap(self) -> bool:
        return self.status != "evidenced"

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "status": self.status, "evidence": list(self.evidence), "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RecStatus:
        return cls(n=int(d["n"]), status=d["status"], evidence=tuple(d.get("evidence", ())), reason=d.get("reason", ""))


@dataclass(frozen=True)
class Page:
    id: str
    title: str | None
    force: str | None
    recommendations: tuple[Recommendation, ...]
    timeline: tuple[Entry, ...]
    segments: tuple[Segment, ...] = ()
    status: tuple[RecStatus, ...] = ()
    warnings: tuple[str, ...] = ()
    model: str | None = None

    def comments(self) -> list[tuple[int, str]]:
        return [(i, e.comment) for i, e in enumerate(self.timeline) if e.comment is not None]

    def last_comment_date(self) -> str | None:
        dates = [e.date for e in self.timeline if e.comment is not None and e.date]
        return max(dates) if dates else None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id, "title": self.title, "force": self.force,
            "recommendations": [r.to_dict() for r in self.recommendations],
            "timeline": [e.to_dict() for e in self.timeline],
            "segments": [s.to_dict() for s in self.segments],
        }
        if self.status:
            d["status"] = [s.to_dict() for s in self.status]
        if self.warnings:
            d["warnings"] = list(self.warnings)
        if self.model:
            d["model"] = self.model
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Page:
        timeline = tuple(Entry.from_dict(e) for e in d.get("timeline", ()))
        comments = {i: e.comment for i, e in enumerate(timeline)}
        return cls(
            id=str(d.get("id")), title=d.get("title"), force=d.get("force"),
            recommendations=tuple(Recommendation.from_dict(r) for r in d.get("recommendations", ())),
            timeline=timeline,
            segments=tuple(Segment.from_dict(s, comments.get(s.get("entry"))) for s in d.get("segments", ())),
            status=tuple(RecStatus.from_dict(s) for s in d.get("status", ())),
            warnings=tuple(d.get("warnings", ())), model=d.get("model"),
        )


@dataclass(frozen=True)
class Failure:
    """An input that produced no page: its name and a one-line reason."""

    name: str
    error: str


def parse_json(text: str | bytes) -> Any:
    """Parse a JSON record (page input, results, corpus, gold, model meta) with orjson, several times
    faster on the many small documents a results file holds; ``json`` also reads what orjson
    refuses (NaN, Infinity) from files other tools wrote. Input nested too deeply for either is a
    ``json.JSONDecodeError`` like any other broken JSON."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            return json.loads(text)
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "", 0) from None
