"""The setup cell: a no-op in the course's environment, directions for a lone download, and in
Colab the commands that fetch the course — run here against a copy of the repository."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from booktools import launch

ROOT = Path(__file__).resolve().parents[1]


def _run_cell(monkeypatch, *, has_dlimits: bool, colab: bool):
    calls = []
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: (real(name, *a) if has_dlimits or name != "dlimits"
                                          else None))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    monkeypatch.setattr(sys, "path", list(sys.path))
    namespace: dict = {}
    exec(compile(launch.cell_source(), "setup-cell", "exec"), namespace)
    return calls, namespace


def test_in_the_course_environment_the_cell_does_nothing(monkeypatch):
    calls, _ = _run_cell(monkeypatch, has_dlimits=True, colab=True)
    assert calls == []


def test_a_lone_download_is_told_how_to_get_the_package(monkeypatch):
    url, _ = launch.repository()
    with pytest.raises(ModuleNotFoundError, match=f"needs the course's package dlimits: clone {url}"):
        _run_cell(monkeypatch, has_dlimits=False, colab=False)


def test_in_colab_the_commands_fetch_the_course_and_its_pinned_requirements(monkeypatch, tmp_path):
    url, branch = launch.repository()
    calls, namespace = _run_cell(monkeypatch, has_dlimits=False, colab=True)
    (clone_cmd, clone_kw), (pip_cmd, pip_kw) = calls
    assert clone_cmd == ["git", "clone", "--depth", "1", "--branch", branch, url, launch.CLONE]
    assert pip_cmd[1:] == ["-m", "pip", "install", "--quiet", "-r", "requirements.txt"]
    assert pip_kw["cwd"] == launch.CLONE and clone_kw["check"] and pip_kw["check"]
    assert namespace["sys"].path[0] == launch.CLONE
    monkeypatch.undo()

    # the clone command, run against this repository (committed state of its branch)
    clone = tmp_path / "clone"
    source = f"file://{ROOT}"
    done = subprocess.run([*clone_cmd[:-2], source, str(clone)], capture_output=True, text=True)
    if done.returncode != 0 and "not found in upstream" in done.stderr:
        pytest.skip(f"this checkout has no branch {branch!r} to clone")
    assert done.returncode == 0, done.stderr
    # what pip is pointed at, in the clone: pinned requirements, their constraints, the package
    lines = [ln.strip() for ln in (clone / "requirements.txt").read_text().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    assert "-c constraints.txt" in lines and (clone / "constraints.txt").is_file()
    assert "-e ." in lines and (clone / "pyproject.toml").is_file()
    pinned = [Requirement(ln) for ln in lines if not ln.startswith("-")]
    assert pinned and all(len(r.specifier) == 1 and next(iter(r.specifier)).operator == "=="
                          for r in pinned), "every requirement must be pinned with =="
    assert "torch==2.13.0" in lines
    assert (clone / "dlimits" / "__init__.py").is_file(), "the clone's root must hold the package"
