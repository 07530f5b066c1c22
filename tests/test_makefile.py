"""The Makefile reinstalls the environment only when its inputs' contents change, and
``make student`` never installs (on a shared JupyterHub a reinstall re-points every student's
editable package)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ("requirements.txt", "constraints.txt", "pyproject.toml")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _dry_run(target: str) -> str:
    return subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True,
                          check=True, timeout=60).stdout


def test_the_stamp_is_named_after_the_contents_of_the_inputs():
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in INPUTS)).hexdigest()[:16]
    assert f".installed-{digest}" in _dry_run("setup") or (
        ROOT / ".venv" / f".installed-{digest}").exists()


def test_an_installed_environment_is_not_reinstalled_when_only_dates_change(tmp_path):
    digest = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in INPUTS)).hexdigest()[:16]
    if not (ROOT / ".venv" / f".installed-{digest}").exists():
        pytest.skip("no environment installed from these requirements here")
    for name in INPUTS:  # a newer date, the same contents
        (ROOT / name).touch()
    assert "pip install" not in _dry_run("setup")
    assert "pip install" not in _dry_run("test-unit")


def test_make_student_never_installs():
    out = _dry_run("student")
    assert "pip install" not in out and "-m venv" not in out


def test_the_student_edition_ships_its_readme():
    """``make student`` puts a one-page README in the edition, and pyproject's readme field
    (needed by ``pip install -e .`` in the edition) then names a file that exists."""
    assert "cp assets/student-README.md _build/student/README.md" in _dry_run("student")
    text = (ROOT / "assets" / "student-README.md").read_text()
    for needed in ("python -m venv .venv", "pip install -r requirements.txt", "jupyter lab",
                   "check cell", "Hand in"):
        assert needed in text, f"the student README does not say {needed!r}"
