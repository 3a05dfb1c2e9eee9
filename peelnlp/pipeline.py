"""Compose the stages for every caller (CLI, batch scoring, evaluation, tests).

parse → segment → classify → gaps. Each function streams: pages go in and out one at a time,
so memory stays flat however many pages there are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .errors import PeelnlpError
from .parse import parse_page
from .records import Failure, Page
from .sources import Source

if TYPE_CHECKING:
    from .classify import Tagger


def parse_sources(sources: Iterable[Source]) -> Iterator[Page | Failure]:
    """Each source parsed into a page record (without segments), or a failure saying why not."""
    for source in sources:
        if source.text is None:
            yield Failure(source.name, source.error or "unreadable")
            continue
        try:
            page = parse_page(source.text, source.name)
        except PeelnlpError as exc:
            yield Failure(source.name, f"{source.path or source.name}: {exc}")
            continue
        if source.warning:
            page = _with_warning(page, source.warning)
        yield page


def _with_warning(page: Page, warning: str) -> Page:
    return dataclasses.replace(page, warnings=(warning, *page.warnings))


def _split_failures(items: Iterable[Page | Failure], failures: list[tuple[int, Failure]]) -> Iterator[Page]:
    for i, item in enumerate(items):
        if isinstance(item, Failure):
            failures.append((i, item))
        else:
            yield item


def segmented(sources: Iterable[Source], n_process: int = 1) -> Iterator[Page | Failure]:
    """Parse and segment, keeping failures in their place in the stream."""
    from .segment import segment_pages

    yield from _through(parse_sources(sources), lambda pages: segment_pages(pages, n_process=n_process))


def tag_sources(sources: Iterable[Source], tagger: Tagger, explain: bool = False) -> Iterator[Page | Failure]:
    """The main job: parse, segment, label every segment and decide each recommendation's status."""
    from .segment import segment_pages

    def stages(pages: Iterable[Page]) -> Iterator[Page]:
        return tagger.tag_pages(segment_pages(pages), explain=explain)

    yield from _through(parse_sources(sources), stages)


def _through(items: Iterable[Page | Failure], stage) -> Iterator[Page | Failure]:
    """Run ``stage`` over the pages of a stream, putting failures back where they were."""
    failures: list[tuple[int, Failure]] = []
    position = 0
    for page in stage(_split_failures(items, failures)):
        while failures and failures[0][0] <= position:
            yield failures.pop(0)[1]
            position += 1
        yield page
        position += 1
    for _, failure in failures:
        yield failure


def comment_page(recommendations: str, comment: str, page_id: str = "comment") -> Page:
    """A page made of a list of recommendations (one per line or bullet) and one undated comment."""
    from .errors import InputError
    from .parse import normalise_text
    from .reclist import recommendation_list
    from .records import Entry, Recommendation

    items, warnings = recommendation_list(recommendations)
    if not items:
        raise InputError("the recommendations file holds no recommendation; expected one per line or bullet "
                         "(a lead-in such as \"The force should:\" alone is none)")
    comment = normalise_text(comment).strip()
    if not comment:
        raise InputError("the comment is empty; pass its text with --comment TEXT or --comment - for stdin")
    title = f"A comment tagged against {len(items)} recommendation{'s' * (len(items) != 1)}"
    return Page(id=page_id, title=title, force=None,
                recommendations=tuple(Recommendation(i, t) for i, t in enumerate(items, start=1)),
                timeline=(Entry(date=None, comment=comment),),
                warnings=(*warnings, *_references_off_the_list(comment, len(items))))


def _references_off_the_list(comment: str, n: int) -> list[str]:
    """A warning for "Rec 3" in a comment tagged against fewer recommendations: a list copied without
    its third item, or a comment meant for another page, and the user cannot tell from the output."""
    from .refs import explicit_refs

    beyond = sorted(r for r in explicit_refs(comment) if r > n)
    if not beyond:
        return []
    named = f"recommendation {beyond[0]}" if len(beyond) == 1 else \
        f"recommendations {', '.join(map(str, beyond[:-1]))} and {beyond[-1]}"
    return [f"it names {named}, but the recommendations file lists only {n} (numbered 1–{n} in the order "
            f"listed); check that the list is complete and that the comment is about these recommendations"]


def tag_comment(tagger: Tagger, recommendations: str, comment: str, explain: bool = False) -> Page:
    from .segment import segment_pages

    return next(tagger.tag_pages(segment_pages([comment_page(recommendations, comment)]), explain=explain))
