"""Model folders: joblib files plus ``meta.json``, saved atomically, checked before unpickling.

joblib (pickle) runs code when it loads a file, so a model folder is trusted only if every file's
SHA-256 matches the one recorded in its ``meta.json``. A version mismatch only warns.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import secrets
import shutil
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import ModelError
from .records import STRANDS, SUBSTANTIVE, parse_json

if TYPE_CHECKING:
    from .classify import Models, Tagger

FORMAT_VERSION = 1
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default"
PARTS = ("featurizer", "kind", "strands", "linker")
STALE_SECONDS = 86_400
RESTORE_META = "restore the meta.json `peelnlp train` wrote, or retrain with `peelnlp train`"


def feature_layout() -> str:
    """A digest of the hand-made feature names: models fitted on another layout cannot be used."""
    from .features import CUE_NAMES
    from .linker import PAIR_FEATURES

    layout = [*CUE_NAMES, "|", *PAIR_FEATURES, "|", "strands read linked recommendations",
              "|", "snowball stems, token-pattern cues", "|", "strand features copied for SOC pages",
              "|", "kind features copied for tracked pages", "|", "main clause: after but, before a later although",
              "|", "not only ... but: no contrast", "|", "general remark: a demonstrative, not any 'the'",
              "|", "strand models read character n-grams"]
    return hashlib.sha256("\n".join(layout).encode()).hexdigest()[:16]


def library_versions() -> dict[str, str]:
    import sklearn
    import spacy

    return {"peelnlp": __version__, "scikit-learn": sklearn.__version__, "spacy": spacy.__version__}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_digest(files: dict[str, str], thresholds: dict[str, Any]) -> str:
    """Eight hex digits that change with any model file or threshold."""
    text = json.dumps({"files": files, "thresholds": thresholds}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _versioned(meta: dict[str, Any], digest: str) -> dict[str, str]:
    """The model version ending in the digest of the model's content (replacing the digest of the
    content it was loaded with, when a loaded model is saved again).

    Batch results are kept per model version, and a rerun skips the pages its version has scored:
    a model retrained on the same day from the same corpus, with other code or thresholds, must not
    share the last one's version."""
    base, old = meta["model_version"], meta.get("content_digest")
    if old and base.endswith(f"-{old}"):
        base = base[: -len(old) - 1]
    return {"model_version": f"{base}-{digest}", "content_digest": digest}


def save_model(models: Models, meta: dict[str, Any], out_dir: Path) -> Path:
    """Write the folder next to its final place, then swap it in, so a reader never sees half a model."""
    import joblib

    out_dir = Path(out_dir)
    tmp = writable_beside(out_dir)
    try:
        files = {}
        for part in PARTS:
            path = tmp / f"{part}.joblib"
            joblib.dump(getattr(models, part), path)  # uncompressed: loads faster, and start-up matters
            files[path.name] = sha256(path)
        full = {**meta, "format_version": FORMAT_VERSION, "versions": library_versions(), "feature_layout": feature_layout(),
                "thresholds": models.thresholds, "files": files}
        if "model_version" in meta:
            full.update(_versioned(meta, content_digest(files, models.thresholds)))
        (tmp / "meta.json").write_text(json.dumps(full, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        _swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def writable_beside(out_dir: Path) -> Path:
    """A new empty folder next to ``out_dir``, where a model is written before it is swapped in;
    training calls it first, so that an --out it cannot write or must not replace fails before
    minutes of fitting."""
    check_replaceable(out_dir)
    target = out_dir.resolve()  # "." or "models/.." have no name to put beside
    _remove_stale(target)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()  # not tempfile.mkdtemp, whose mode 0700 the model folder would keep; mkdir follows the umask
    except OSError as exc:
        raise ModelError(f"{out_dir}: cannot write a model folder here ({exc.strerror or exc}); "
                         f"pass an --out folder in a place you can write to") from None
    return tmp


def _remove_stale(target: Path) -> None:
    """Remove what a killed save left beside the model folder (its half-written ``.part`` or the
    ``.old`` it swapped out) once it is a day old: a save still running elsewhere is never that old."""
    pattern = f".{glob.escape(target.name)}.*."
    for leftover in [*target.parent.glob(pattern + "part"), *target.parent.glob(pattern + "old")]:
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)


def check_replaceable(out_dir: Path) -> None:
    """Refuse an ``out_dir`` that holds anything but a model: saving replaces the whole folder."""
    if not out_dir.exists():
        return
    how = "pass --out a new path, an empty folder or a model folder to replace"
    if not out_dir.is_dir():
        raise ModelError(f"{out_dir}: exists and is not a folder, and saving a model folder would replace it; {how}")
    try:
        found = sorted(p.name for p in out_dir.iterdir())
    except OSError as exc:
        raise ModelError(f"{out_dir}: cannot read the folder ({exc.strerror or exc}); {how}") from None
    model = _model_files(out_dir) if found else set()
    if found and not model:
        raise ModelError(f"{out_dir}: holds files that are not a peelnlp model ({_names(found)}), and saving "
                         f"would delete them; {how}")
    others = sorted(set(found) - model)
    if found and others:
        raise ModelError(f"{out_dir}: a model folder that also holds other files ({_names(others)}), and saving "
                         f"would delete them; move them out, or {how}")


def _model_files(model_dir: Path) -> set[str]:
    """The names in a model folder that ``peelnlp train`` wrote: those its meta.json lists, or, for a
    damaged model whose meta.json is missing or unreadable, the standard names if a part is there
    (so the retraining its load error asks for can replace it). Empty for any other folder."""
    standard = {"meta.json", *(f"{part}.joblib" for part in PARTS)}
    try:
        meta = parse_json((model_dir / "meta.json").read_bytes())
    except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
        meta = None
    if isinstance(meta, dict) and "format_version" in meta and isinstance(meta.get("files"), dict):
        return standard | set(meta["files"])
    has_part = any((model_dir / f"{part}.joblib").is_file() for part in PARTS)
    return standard if has_part else set()


def _names(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _swap_in(tmp: Path, out_dir: Path) -> None:
    check_replaceable(out_dir)  # again: the folder may have changed while the model was fitted
    target, old = out_dir.resolve(), None
    if target.exists():
        old = target.with_name(f".{target.name}.{secrets.token_hex(4)}.old")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_meta(model_dir: Path) -> dict[str, Any]:
    model_dir = Path(model_dir)
    meta_path = model_dir / "meta.json"
    expected = "expected a model folder made by `peelnlp train`: pass --model such a folder, or leave it out for the shipped one"
    if not model_dir.exists():
        raise ModelError(f"{model_dir}: no such folder; {expected}")
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: a file, not a folder; {expected}")
    if not meta_path.is_file():
        raise ModelError(f"{model_dir}: a folder with no meta.json; {expected}")
    try:
        meta = parse_json(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        raise ModelError(f"{meta_path}: unreadable ({exc}); retrain with `peelnlp train`") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{meta_path}: not a JSON object; expected the meta.json of `peelnlp train`")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{model_dir}: model format {meta.get('format_version')!r}, this peelnlp reads format "
                         f"{FORMAT_VERSION}; retrain with `peelnlp train`")
    return meta


def verify_files(model_dir: Path, meta: dict[str, Any]) -> None:
    """Refuse the folder unless every part is present and has the recorded SHA-256."""
    meta_path, files = Path(model_dir) / "meta.json", meta.get("files")
    restore = RESTORE_META
    if not isinstance(files, dict):
        raise ModelError(f"{meta_path}: has no \"files\" object of the model files' SHA-256 digests (found "
                         f"{'none' if files is None else type(files).__name__}), so the files cannot be checked before loading; {restore}")
    for part in PARTS:
        name = f"{part}.joblib"
        path = Path(model_dir) / name
        if not isinstance(files.get(name), str):
            raise ModelError(f"{meta_path}: \"files\" records no SHA-256 for {name}, so it cannot be checked before "
                             f"loading; {restore}")
        if not path.is_file():
            raise ModelError(f"{path}: missing, though meta.json lists it; the model folder is incomplete: restore "
                             f"the file or retrain with `peelnlp train`")
        try:
            digest = sha256(path)
        except OSError as exc:
            raise ModelError(f"{path}: cannot read ({exc.strerror or exc}); make the model folder readable") from None
        if digest != files[name]:
            raise ModelError(f"{path}: SHA-256 does not match meta.json; the file was changed after training and "
                             f"will not be loaded (loading runs code). Restore it or retrain with `peelnlp train`")


def _check_thresholds(meta_path: Path, thresholds: Any) -> None:
    """The tagger reads a threshold per strand, and link and link_min thresholds per substantive kind."""
    wanted = [("strands", s) for s in STRANDS] + [("link", k, t) for k in SUBSTANTIVE for t in ("link", "link_min")]
    for keys in wanted:
        value = thresholds
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ModelError(f"{meta_path}: expected a number at thresholds.{'.'.join(keys)}, found {value!r}; "
                             f"{RESTORE_META}")


class ModelVersionWarning(UserWarning):
    """The model was trained with other library versions than those running it."""


def _warn_versions(meta: dict[str, Any]) -> None:
    now, versions = library_versions(), meta.get("versions")
    for lib, trained in (versions.items() if isinstance(versions, dict) else ()):
        if lib != "peelnlp" and now.get(lib) != trained:
            warnings.warn(f"model trained with {lib} {trained}, running with {now.get(lib)}; it may not be "
                          f"compatible: retrain with `peelnlp train`", ModelVersionWarning, stacklevel=3)


def warn_versions(model_dir: Path | None = None) -> None:
    """Warn, from its meta.json alone, if the model was trained with other library versions: for a
    process that leaves loading the model to its workers."""
    with contextlib.suppress(ModelError):  # the workers report an unreadable model themselves
        _warn_versions(read_meta(Path(model_dir or DEFAULT_MODEL)))


def load_models(model_dir: Path | None = None) -> tuple[Models, dict[str, Any]]:
    from .classify import Models

    model_dir = Path(model_dir or DEFAULT_MODEL)
    meta = read_meta(model_dir)
    verify_files(model_dir, meta)
    if meta.get("feature_layout") != feature_layout():
        raise ModelError(f"{model_dir}: the model was trained on another feature layout than this peelnlp "
                         f"{__version__} computes; retrain with `peelnlp train`")
    _check_thresholds(model_dir / "meta.json", meta.get("thresholds"))
    _warn_versions(meta)
    parts = {part: _load_part(model_dir / f"{part}.joblib", part) for part in PARTS}
    return Models(**parts, thresholds=meta["thresholds"]), meta


def _load_part(path: Path, part: str) -> Any:
    import joblib

    try:
        model = joblib.load(path)
    except Exception as exc:  # a damaged pickle fails in any of a dozen ways, all meaning the same
        raise ModelError(f"{path}: cannot be loaded ({type(exc).__name__}: {' '.join(str(exc).split())[:120]}), yet its "
                         f"SHA-256 matches meta.json, so meta.json was written for a damaged file; restore the folder "
                         f"from a good copy or retrain with `peelnlp train`") from None
    expected = _expected_part(part, model)
    if expected:
        raise ModelError(f"{path}: holds a {type(model).__name__} where the {part} part should be {expected}; the "
                         f"folder's files were swapped or replaced: restore it from a good copy or retrain with `peelnlp train`")
    return model


def _expected_part(part: str, model: Any) -> str | None:
    """What the part should be, when ``model`` is not that; None when it is."""
    from .features import SegmentFeaturizer
    from .linker import RecLinker

    def classifier(obj: Any) -> bool:
        return hasattr(obj, "predict_proba")

    expected, ok = {
        "featurizer": ("a SegmentFeaturizer", isinstance(model, SegmentFeaturizer)),
        "kind": ("a classifier with predict_proba", classifier(model)),
        "strands": (f"a list of {len(STRANDS)} classifiers, one per strand",
                    isinstance(model, list) and len(model) == len(STRANDS) and all(map(classifier, model))),
        "linker": ("a RecLinker", isinstance(model, RecLinker)),
    }[part]
    return None if ok else expected


def load_tagger(model_dir: Path | None = None) -> Tagger:
    from .classify import Tagger

    models, meta = load_models(model_dir)
    return Tagger(models, meta, version=meta.get("model_version", "unknown"))
