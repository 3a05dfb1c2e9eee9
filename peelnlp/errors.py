"""One exception hierarchy. Messages say what was expected, what was found and how to fix it."""


class PeelnlpError(Exception):
    """Base class: the CLI turns any of these into a one-line message and exit code 1."""


class InputError(PeelnlpError):
    """An input file or stream could not be read as a page."""


class PageError(PeelnlpError):
    """Page text could not be parsed into a record."""


class CorpusError(PeelnlpError):
    """The annotated corpus is missing or invalid."""


class ModelError(PeelnlpError):
    """A model folder is missing, tampered with or incompatible."""


class ResultsError(PeelnlpError):
    """A results database or file could not be read or written."""
