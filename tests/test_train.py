"""Training's checks on its input (training itself is exercised in test_store and test_cli)."""

from pathlib import Path

import pytest

from peelnlp.errors import CorpusError
from peelnlp.train import train_model

DATA = Path(__file__).parent / "data"


def test_a_corpus_of_one_page_cannot_be_cross_validated(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    first = (DATA / "corpus_tiny" / "base.jsonl").read_text(encoding="utf-8").splitlines()[0]
    (corpus / "one.jsonl").write_text(first + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="the corpus has 1 page record, and cross-validation needs at least 2"):
        train_model(corpus, tmp_path / "m", folds=2)
    assert not (tmp_path / "m").exists()
