"""peelnlp: read HMICFRS recommendation pages and find the recommendations with no evidenced activity."""

__version__ = "0.1.0"
