"""Where the gold files live: the shared sample (outside the repository) and the corpus beside these tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CORPUS = Path(__file__).resolve().parent / "corpus"


def shared_samples() -> Path:
    base = os.environ.get("DUBAN_SHARED_DIR")
    return (Path(base) if base else REPO_ROOT.parent / "shared") / "samples"


def require_shared() -> Path:
    """The shared samples folder; missing fails under CI (CI=true) and skips on a laptop without it."""
    folder = shared_samples()
    if not folder.is_dir() or not any(folder.glob("*.gold.json")):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"shared samples not found at {folder}")
        pytest.skip(f"shared samples not found at {folder}")
    return folder


def gold_params() -> list:
    """One pytest param per gold file: the shared samples (resolved at run time) and every corpus gold."""
    params = [pytest.param(("shared", None), id="shared-samples")]
    params += [pytest.param(("corpus", path), id=path.name.removesuffix(".gold.json"))
               for path in sorted(CORPUS.glob("*.gold.json"))]
    return params


def resolve(param) -> list[Path]:
    kind, path = param
    if kind == "shared":
        return sorted(require_shared().glob("*.gold.json"))
    return [path]


def load(gold_path: Path) -> tuple[dict, Path]:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    source = gold_path.with_name(gold.get("source") or gold_path.name.replace(".gold.json", ".txt"))
    return gold, source
