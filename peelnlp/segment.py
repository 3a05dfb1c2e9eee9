"""The spaCy pipeline that cuts progress comments into action segments.

``make_nlp()`` is ``spacy.blank("en")`` with a tokenizer that splits at bullet marks, plus the
registered ``peel_segmenter`` component, which marks a sentence start at every cut of
:func:`peelnlp.boundaries.segment_spans`. The result is an ordinary ``nlp``: ``nlp.pipe`` with
``n_process`` works, and ``doc.sents`` are the segments. Nothing is downloaded.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator

import numpy as np
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import registry

from .boundaries import BULLETS, segment_spans
from .records import Page, Segment
from .sources import MAX_PAGE_BYTES

TEXT_KEY = "peel_text"
if not Doc.has_extension("segment_spans"):
    Doc.set_extension("segment_spans", default=None)


@Language.component("peel_segmenter")
def peel_segmenter(doc: Doc) -> Doc:
    """Mark each segment's first token as a sentence start; keep exact character spans on the doc."""
    # spaCy rebuilds doc.text from the tokens on every access; the tokenizer keeps the text it was given.
    spans = segment_spans(doc.user_data.get(TEXT_KEY) or doc.text)
    if len(doc):
        # One array write instead of a Python loop over tokens: this runs for every comment.
        idx = doc.to_array("IDX").astype(np.int64)
        wanted = np.fromiter((a for a, _ in spans), dtype=np.int64, count=len(spans))
        k = np.searchsorted(idx, wanted)
        inside = k < len(idx)
        k, wanted = k[inside], wanted[inside]
        starts = np.zeros(len(idx), dtype=bool)
        starts[k[idx[k] == wanted]] = True
        starts[0] = True
        values = np.where(starts, 1, -1).astype(np.int64).view(np.uint64)  # spaCy stores -1 ("not a start") as uint64
        doc.from_array([SENT_START], values.reshape(-1, 1))
    doc._.segment_spans = spans
    return doc


_PREFIX = re.compile(rf"^[\[(\"'“‘{BULLETS}*–-]")
_SUFFIX = re.compile(r"[\])\"'”’.,;:!?]$")
_INFIX = re.compile(rf"[{BULLETS};:,()\[\]\"“”]|(?<=[a-z])\.(?=[A-Z])|(?<=\w)[/–](?=\w)")


@registry.tokenizers("peel_tokenizer.v1")
def create_peel_tokenizer() -> Callable[[Language], Tokenizer]:
    """Punctuation-splitting tokenizer without the default English exceptions.

    Segment boundaries come from character rules, so tokens only need to start where segments
    start; building this takes milliseconds where the default tokenizer takes half a second,
    which a liaison lead tagging one comment notices."""

    def make(nlp: Language) -> TextKeepingTokenizer:
        return TextKeepingTokenizer(Tokenizer(nlp.vocab, rules={}, prefix_search=_PREFIX.search,
                                              suffix_search=_SUFFIX.search, infix_finditer=_INFIX.finditer))

    return make


# spaCy strips a word's affixes one character at a time, copying the rest each time: a run of
# 60,000 full stops took half a minute. Runs of 100 or more characters without a space are given one
# every 100 characters before tokenizing (no word is that long; the length, and so every offset,
# stays the same); segments are cut from the original text.
_LONG_RUN = re.compile(r"(\S{99})\S")


class TextKeepingTokenizer:
    """A tokenizer that also keeps the text it was given on the doc, for the segmenter to read."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        # str.split runs in C: a third of the time of the pattern's scan on texts without such a run.
        long_run = len(text) > 99 and max(map(len, text.split()), default=0) > 99
        doc = self.tokenizer(_LONG_RUN.sub(r"\1 ", text) if long_run else text)
        doc.user_data[TEXT_KEY] = text
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)


def make_nlp() -> Language:
    """A blank English pipeline with the light tokenizer and the segmenter."""
    from spacy.lang.en import English

    nlp = English(create_tokenizer=create_peel_tokenizer())
    nlp.add_pipe("peel_segmenter")
    # spaCy refuses texts over a million characters for the sake of its parser's memory; this
    # pipeline only tokenizes, and any comment of a page that was read at all must be cut.
    nlp.max_length = MAX_PAGE_BYTES
    return nlp


# spaCy keeps every word type it has seen (a lexeme and its string) for the life of the pipeline:
# about half a kilobyte each, so a batch run over years of pages would grow without bound.
VOCAB_LIMIT = 30_000
_SHARED: list[Language] = []


def shared_nlp() -> Language:
    """The process's pipeline, rebuilt (in milliseconds) once it has learnt VOCAB_LIMIT word types."""
    if not _SHARED or len(_SHARED[0].vocab) > VOCAB_LIMIT:
        _SHARED[:] = [make_nlp()]
    return _SHARED[0]


def comment_segments(doc: Doc, entry: int, text: str | None = None) -> list[Segment]:
    """The segments of one comment's doc; pass the comment ``text`` when at hand (spaCy rebuilds
    ``doc.text`` from the tokens on every access)."""
    text = doc.user_data.get(TEXT_KEY, doc.text) if text is None else text
    spans = doc._.segment_spans if doc._.segment_spans is not None else segment_spans(text)
    return [Segment(entry=entry, start=a, end=b, text=text[a:b]) for a, b in spans]


def segment_pages(
    pages: Iterable[Page], nlp: Language | None = None, pages_per_batch: int = 64, n_process: int = 1
) -> Iterator[Page]:
    """Add the segments of every comment to each page, streaming the comments of many pages
    through one ``nlp.pipe`` call per batch of pages."""
    for chunk in _chunks(pages, pages_per_batch):
        texts = [(i, entry, text) for i, page in enumerate(chunk) for entry, text in page.comments()]
        docs = (nlp or shared_nlp()).pipe((text for _, _, text in texts), batch_size=128, n_process=n_process)
        found: dict[int, list[Segment]] = {i: [] for i in range(len(chunk))}
        for (i, entry, text), doc in zip(texts, docs):
            found[i].extend(comment_segments(doc, entry, text))
        for i, page in enumerate(chunk):
            yield dataclasses.replace(page, segments=tuple(found[i]))


def _chunks(items: Iterable[Page], size: int) -> Iterator[list[Page]]:
    chunk: list[Page] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def segment_text(text: str) -> list[tuple[int, int, str]]:
    """Segments of one comment as ``(start, end, text)``: the library call for a single comment."""
    doc = shared_nlp()(text)
    return [(s.start, s.end, s.text) for s in comment_segments(doc, 0)]
