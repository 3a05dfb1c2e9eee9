import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from peelnlp.errors import ModelError
from peelnlp.parse import parse_page
from peelnlp.segment import segment_pages
from peelnlp.store import load_models, load_tagger, read_meta, save_model
from peelnlp.train import train_model

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "tiny"
    report = train_model(DATA / "corpus_tiny", out, seed=0, folds=2)
    return report


def probabilities(model_dir, text):
    tagger = load_tagger(model_dir)
    page = next(tagger.tag_pages(segment_pages([parse_page(text)])))
    return [s.scores for s in page.segments]


def test_meta_records_versions_hashes_and_metrics(tiny_model):
    meta = read_meta(tiny_model.path)
    assert meta["format_version"] == 1 and meta["seed"] == 0
    assert set(meta["versions"]) == {"peelnlp", "scikit-learn", "spacy"}
    assert len(meta["corpus_sha256"]) == 64 and set(meta["files"]) == {f"{p}.joblib" for p in ("featurizer", "kind", "strands", "linker")}
    assert set(meta["thresholds"]["strands"]) == {"pursue", "prevent", "protect", "prepare"}
    assert "kind_macro_f1" in meta["metrics"]


def test_round_trip_gives_identical_probabilities(tiny_model, tmp_path, seed_text):
    models, meta = load_models(tiny_model.path)
    copy = save_model(models, {k: v for k, v in meta.items() if k not in ("files", "versions")}, tmp_path / "copy")
    assert probabilities(tiny_model.path, seed_text) == probabilities(copy, seed_text)
    # Saved again, the version keeps its name and carries one digest, of the files as now written.
    base = meta["model_version"][: -len(meta["content_digest"])]
    assert read_meta(copy)["model_version"] == base + read_meta(copy)["content_digest"]


def test_model_version_changes_with_the_model(tiny_model, tmp_path):
    models, meta = load_models(tiny_model.path)
    assert meta["model_version"].endswith("-" + meta["content_digest"])
    models.thresholds = {**models.thresholds, "strands": {**models.thresholds["strands"], "pursue": 0.9}}
    changed = save_model(models, {k: v for k, v in meta.items() if k not in ("files", "versions")}, tmp_path / "changed")
    assert read_meta(changed)["model_version"] != meta["model_version"]
    assert read_meta(changed)["model_version"].startswith(meta["model_version"][: -len(meta["content_digest"])])


def test_training_is_deterministic(tiny_model, tmp_path, seed_text):
    again = train_model(DATA / "corpus_tiny", tmp_path / "again", seed=0, folds=2)
    assert again.metrics == tiny_model.metrics
    assert probabilities(again.path, seed_text) == probabilities(tiny_model.path, seed_text)


def test_tampered_file_is_refused_before_unpickling(tiny_model, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(tiny_model.path, bad)
    with (bad / "kind.joblib").open("ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelError, match="SHA-256 does not match"):
        load_tagger(bad)


def test_missing_part_and_missing_folder(tiny_model, tmp_path):
    import shutil

    partial = tmp_path / "partial"
    shutil.copytree(tiny_model.path, partial)
    (partial / "linker.joblib").unlink()
    with pytest.raises(ModelError, match="missing"):
        load_tagger(partial)
    with pytest.raises(ModelError, match="nothing: no such folder; expected a model folder made by `peelnlp train`"):
        load_tagger(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="empty: a folder with no meta.json; expected a model folder"):
        load_tagger(tmp_path / "empty")


def test_version_mismatch_warns(tiny_model, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(tiny_model.path, old)
    meta = json.loads((old / "meta.json").read_text())
    meta["versions"]["scikit-learn"] = "0.0.1"
    (old / "meta.json").write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="trained with scikit-learn 0.0.1"):
        load_tagger(old)


def test_tagged_segments_carry_probabilities(tiny_model, seed_text):
    scores = probabilities(tiny_model.path, seed_text)
    for s in scores:
        assert abs(sum(s["kind"].values()) - 1) < 0.01
        assert set(s["strands"]) == {"pursue", "prevent", "protect", "prepare"}
        assert set(s["recs"]) == {"1", "2", "3", "4", "5"}
        assert all(0 <= p <= 1 for p in s["recs"].values())


def resave(model_dir, out):
    models, meta = load_models(model_dir)
    return save_model(models, {k: v for k, v in meta.items() if k not in ("files", "versions")}, out)


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: (p.mkdir(), (p / "notes.txt").write_text("important")), "holds files that are not a peelnlp model .notes.txt."),
    (lambda p: p.write_text("important"), "exists and is not a folder"),
    (lambda p: (p.mkdir(), (p / "meta.json").write_text('{"a": 1}')), "not a peelnlp model .meta.json."),
], ids=["folder of other files", "a file", "folder with another meta.json"])
def test_saving_never_replaces_what_is_not_a_model(tiny_model, tmp_path, make, message):
    out = tmp_path / "out"
    make(out)
    before = snapshot(tmp_path)
    with pytest.raises(ModelError, match=message + ".*pass --out a new path, an empty folder or a model folder"):
        resave(tiny_model.path, out)
    assert snapshot(tmp_path) == before  # nothing changed, moved aside or left behind


def snapshot(root):
    return {p: p.read_bytes() if p.is_file() else None for p in root.rglob("*")}


def test_saving_keeps_a_model_folder_holding_other_files(tiny_model, tmp_path):
    out = resave(tiny_model.path, tmp_path / "m")
    (out / "notes.txt").write_text("important")
    with pytest.raises(ModelError, match="a model folder that also holds other files .notes.txt."):
        resave(tiny_model.path, out)
    assert (out / "notes.txt").read_text() == "important"


def test_saving_replaces_a_model_folder_or_an_empty_one(tiny_model, tmp_path):
    (tmp_path / "m").mkdir()
    out = resave(tiny_model.path, tmp_path / "m")
    first = read_meta(out)["trained_at"]
    assert resave(out, out) == out and read_meta(out)["trained_at"] == first
    assert [p.name for p in tmp_path.iterdir()] == ["m"], "no .part or .old folder is left beside it"


@pytest.mark.parametrize("damage", [
    lambda m: (m / "meta.json").write_text('{"format_version": 1,'), lambda m: (m / "meta.json").unlink(),
], ids=["meta.json cut short", "meta.json missing"])
def test_a_damaged_model_folder_can_be_replaced(tiny_model, tmp_path, damage):
    out = resave(tiny_model.path, tmp_path / "m")
    damage(out)
    with pytest.raises(ModelError):
        load_models(out)
    assert resave(tiny_model.path, out) == out and load_models(out)


def test_what_a_killed_save_left_is_removed_once_stale(tiny_model, tmp_path):
    out = resave(tiny_model.path, tmp_path / "m")
    stale, fresh = tmp_path / ".m.0000.part", tmp_path / ".m.1111.old"
    stale.mkdir(), fresh.mkdir()
    os.utime(stale, (0, 0))
    resave(tiny_model.path, out)
    assert not stale.exists() and fresh.exists()


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o027, 0o750)], ids=["umask 022", "umask 027"])
def test_a_saved_model_folder_gets_the_mode_mkdir_would_give(tiny_model, tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        out = resave(tiny_model.path, tmp_path / "m")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == mode


def copy_with(model_dir, out, change_meta=None, part=None, content=None):
    """A copy of the model folder with meta.json changed, or one part's bytes replaced and its SHA-256 recorded."""
    shutil.copytree(model_dir, out)
    meta = json.loads((out / "meta.json").read_text())
    if part:
        (out / part).write_bytes(content)
        meta["files"][part] = hashlib.sha256(content).hexdigest()
    if change_meta:
        change_meta(meta)
    (out / "meta.json").write_text(json.dumps(meta))
    return out


def test_a_meta_json_without_files_says_so(tiny_model, tmp_path):
    bad = copy_with(tiny_model.path, tmp_path / "bad", change_meta=lambda m: m.pop("files"))
    with pytest.raises(ModelError, match='meta.json: has no "files" object of the model files. SHA-256 digests .found none.'):
        load_tagger(bad)


def test_thresholds_missing_from_meta_json_are_named(tiny_model, tmp_path):
    bad = copy_with(tiny_model.path, tmp_path / "bad", change_meta=lambda m: m["thresholds"]["link"].pop("plan"))
    with pytest.raises(ModelError, match="expected a number at thresholds.link.plan.link, found None"):
        load_tagger(bad)


def test_a_damaged_part_with_a_matching_sha_is_a_model_error(tiny_model, tmp_path):
    truncated = (tiny_model.path / "kind.joblib").read_bytes()[:1000]
    bad = copy_with(tiny_model.path, tmp_path / "bad", part="kind.joblib", content=truncated)
    with pytest.raises(ModelError, match=r"bad/kind.joblib: cannot be loaded \(.*\), yet its SHA-256 matches meta.json"):
        load_tagger(bad)


def test_a_swapped_part_with_a_matching_sha_is_a_model_error(tiny_model, tmp_path):
    featurizer = (tiny_model.path / "featurizer.joblib").read_bytes()
    bad = copy_with(tiny_model.path, tmp_path / "bad", part="kind.joblib", content=featurizer)
    with pytest.raises(ModelError, match="holds a SegmentFeaturizer where the kind part should be a classifier"):
        load_tagger(bad)
