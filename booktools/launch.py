"""The first cell of every notebook: find the course's package, or fetch it in Colab.

A notebook opened from the course's environment (``make lab``, the student edition, Binder, which
builds the environment from the repository's ``requirements.txt``) finds ``dlimits`` and the cell
does nothing but import ``glued``, which the text's first cell needs (JupyterLab renders a
markdown cell, and evaluates its numbers, as *Run all* reaches it). Opened in Google Colab — the site's launch button — it clones the repository named in
``_config.yml`` and installs the pinned ``requirements.txt`` from the clone. A notebook downloaded
on its own into an environment without the package stops with a message that says how to get it.

The cell is generated here from ``_config.yml`` (the only place the repository's address is
written); ``python -m booktools.launch NOTEBOOK ...`` writes it into notebooks, and a test checks
that every notebook holds it exactly and that the commands it builds work on a copy of the
repository.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from . import notebooks

ROOT = Path(__file__).resolve().parents[1]
OPENING = ("# Run this cell first. The notebook needs the course's package dlimits and its\n"
           "# pinned libraries (see the book's Setup page): in Google Colab this cell\n"
           "# fetches them, elsewhere it checks that they are there.\n")
TAG = "course-setup"
CLONE = "/content/limits-of-deep-learning"


def repository(config: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """``(url, branch)`` of the course's repository, from ``_config.yml``."""
    repo = yaml.safe_load(config.read_text(encoding="utf-8")).get("repository", {})
    url, branch = repo.get("url"), repo.get("branch", "main")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError(f"{config.name}: repository.url must be an https address, got {url!r}.")
    return url, branch


def cell_source(config: Path = ROOT / "_config.yml") -> str:
    """The source of the setup cell for the repository of ``config``."""
    url, branch = repository(config)
    return OPENING + f'''import importlib.util
import subprocess
import sys

REPOSITORY, BRANCH = "{url}", "{branch}"
CLONE = "{CLONE}"
if importlib.util.find_spec("dlimits") is None:
    if "google.colab" not in sys.modules:
        raise ModuleNotFoundError(
            "this notebook needs the course's package dlimits: clone "
            f"{{REPOSITORY}}, run `pip install -r requirements.txt` in the "
            "clone and open the notebook from that environment")
    subprocess.run(["git", "clone", "--depth", "1", "--branch", BRANCH,
                    REPOSITORY, CLONE], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-r",
                    "requirements.txt"], cwd=CLONE, check=True)
    sys.path.insert(0, CLONE)
from dlimits.prose import glued  # shows the numbers in the text'''


def write(path: Path) -> bool:
    """Make the setup cell the first cell of ``path`` (before the title, so that the text's
    numbers can be shown from the start); return whether the notebook changed."""
    nb = notebooks.read(path)
    source = cell_source()
    cells = nb["cells"]
    at = [i for i, c in enumerate(cells) if TAG in c.get("metadata", {}).get("tags", [])]
    cell = cells.pop(at[0]) if at else {
        "cell_type": "code", "execution_count": None, "id": f"setup-{path.stem[:20]}",
        "metadata": {}, "outputs": []}
    before = (at[:1] == [0], "".join(cell.get("source", [])))
    cell["source"] = source.splitlines(keepends=True)
    cell["metadata"]["tags"] = [TAG, "remove-input"]
    cells.insert(0, cell)
    imports = next(c for c in cells[1:] if c["cell_type"] == "code")
    old = "".join(imports["source"])
    if old.startswith("# Needs the course's package dlimits"):  # the former two-line note
        lines = old.splitlines(keepends=True)
        while lines and lines[0].startswith("#"):
            lines.pop(0)
        imports["source"] = lines
    if before == (True, source):
        return False
    notebooks.write(path, nb)
    return True


def main(argv: list[str] | None = None) -> int:
    args = notebooks.arguments("booktools.launch", "write the setup cell into notebooks", argv)
    for path in args.notebooks:
        print(f"{path}: {'written' if write(path) else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
