"""A notebook downloaded from the site runs on its own.

A reader who downloads one notebook has the course environment (the package and the pinned
libraries) but not the repository around it. This test copies a notebook alone into an empty
folder and executes it there with a fresh home directory and empty caches, so that neither a file
of the repository nor a warm dataset cache can hide a dependency. Under ``make test`` it runs
inside the network namespace, so a download would fail too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a notebook that reads the package's data tables and one that loads a bundled dataset
STANDALONE = ["chapters/part1/01-compute-record.ipynb", "chapters/part1/05-why-returns-diminish.ipynb"]


@pytest.mark.parametrize("relpath", STANDALONE, ids=lambda p: Path(p).stem)
def test_a_downloaded_notebook_runs_alone(relpath, tmp_path):
    folder = tmp_path / "downloads"
    home = tmp_path / "home"
    folder.mkdir()
    home.mkdir()
    notebook = folder / Path(relpath).name
    shutil.copy(ROOT / relpath, notebook)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER"))}
    cache = home / ".cache"
    env.update(HOME=str(home), XDG_CACHE_HOME=str(cache), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local" / "share"), MPLCONFIGDIR=str(cache / "mpl"),
               SCIKIT_LEARN_DATA=str(cache / "sklearn"), TORCH_HOME=str(cache / "torch"),
               HF_HOME=str(cache / "hf"), DLIMITS_STRICT="1")
    exe = Path(sys.executable).with_name("jupyter")
    proc = subprocess.run(
        [str(exe), "nbconvert", "--to", "notebook", "--execute", "--output", "ran.ipynb",
         "--ExecutePreprocessor.timeout=600", notebook.name],
        cwd=folder, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (folder / "ran.ipynb").exists()
    leftovers = sorted(p.name for p in folder.iterdir())
    assert leftovers == sorted([notebook.name, "ran.ipynb"]), f"the notebook wrote {leftovers}"
