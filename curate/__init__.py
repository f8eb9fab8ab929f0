"""curate: reproducible, resumable builders for cross-lingual NLP datasets."""

__version__ = "0.1.0"
