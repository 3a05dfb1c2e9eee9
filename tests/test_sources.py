import os
from pathlib import Path

from peelnlp.sources import MAX_PAGE_BYTES, read_sources


def one(path: Path):
    return next(read_sources([str(path)]))


def test_empty_file(tmp_path):
    (tmp_path / "e.txt").write_bytes(b"")
    assert "empty" in one(tmp_path / "e.txt").error


def test_binary_file(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02PK" * 100)
    assert "binary" in one(tmp_path / "b.txt").error


def test_non_utf8_is_read_with_a_warning(tmp_path):
    (tmp_path / "l.txt").write_bytes("The force should act on café".encode("latin-1"))
    source = one(tmp_path / "l.txt")
    assert source.text and "not valid UTF-8" in source.warning


def test_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    assert f"{MAX_PAGE_BYTES:,}" in one(path).error


def test_directory_with_unreadable_files(tmp_path):
    (tmp_path / "good.txt").write_text("The force should act.")
    os.symlink(tmp_path / "missing-target.txt", tmp_path / "broken.txt")
    sources = list(read_sources([str(tmp_path)]))
    assert [s.name for s in sources] == ["broken", "good"]
    assert sources[0].error and "cannot read" in sources[0].error and sources[1].text


def test_missing_path_and_empty_directory(tmp_path):
    (tmp_path / "empty").mkdir()
    sources = list(read_sources([str(tmp_path / "nope.txt"), str(tmp_path / "empty")]))
    assert "no such file" in sources[0].error and "no *.txt files" in sources[1].error


def test_a_file_of_page_records_is_not_read_as_a_page(tmp_path):
    records = tmp_path / "pages.jsonl"
    records.write_text('{"id": "1", "text": "A page"}\n')
    [source] = read_sources([str(records)])
    assert source.text is None and "peelnlp score" in source.error
