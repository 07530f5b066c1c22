"""References to figures and exercises that read in JupyterLab and are numbered on the website.

On the website ``{numref}`fig-isoflop` `` becomes "Fig. 1.4.2" and ``{ref}`ex-co-sensitivity` ``
the exercise's title; JupyterLab (``jupyterlab-myst``) numbers nothing and shows the bare label.
The notebooks therefore write such a reference as a link whose words say where the target is,
with the role in the link's title::

    [the figure below](#fig-isoflop "numref")        [the exercise below](#ex-co-sensitivity "ref")

As the site reads each notebook, :func:`to_roles` turns the link back into the role (the course's
Sphinx extension does it with the citations), so the site is unchanged. The words are generated
from where the target is — below or above in the same notebook, or in another chapter — by
``python -m booktools.crossref NOTEBOOK ...``, which also rewrites roles an author typed; a test
regenerates them and fails if a cell has moved.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from . import notebooks

ROOT = Path(__file__).resolve().parents[1]
ROLE = re.compile(r"\{(numref|ref)\}`([\w\-]+)`")  # only roles without explicit text
LINK = re.compile(r'\[([^\[\]\n]+)\]\(#([\w\-]+) "(numref|ref)"\)')
KIND = {"numref": "figure", "ref": "exercise"}


def targets(path: Path) -> dict[str, int]:
    """``{label: cell index}`` of the figures (cell metadata) and exercises of a notebook."""
    found = {}
    for i, cell in enumerate(notebooks.read(path)["cells"]):
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if "name" in figure:
            found[figure["name"]] = i
        if cell["cell_type"] == "markdown":
            for label in re.findall(r"^:label: ([\w\-]+)", "".join(cell["source"]), re.M):
                found[label] = i
    return found


def _chapters() -> dict[str, tuple[Path, int]]:
    out = {}
    for path in [ROOT / "intro.ipynb", *sorted((ROOT / "chapters").rglob("*.ipynb"))]:
        if ".ipynb_checkpoints" in path.parts:
            continue
        for label, i in targets(path).items():
            out[label] = (path, i)
    return out


def _title(path: Path) -> str:
    cells = notebooks.read(path)["cells"]
    first = next(c for c in cells if c["cell_type"] == "markdown")
    return "".join(first["source"]).splitlines()[0].lstrip("# ").strip()


def words(role: str, label: str, path: Path, cell: int, index=None) -> str:
    """What JupyterLab shows for ``{role}`label` `` written in cell ``cell`` of ``path``."""
    index = _chapters() if index is None else index
    if label not in index:
        raise KeyError(f"no figure or exercise is labelled {label!r} in the course")
    where, at = index[label]
    kind = KIND[role]
    if Path(where).resolve() == Path(path).resolve():
        return f"the {kind} {'below' if at > cell else 'above'}"
    return f"the {kind} in “{_title(where)}”"


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" *_\n")
    return (not before or before.endswith((".", "!", "?"))
            or text[:pos].rstrip(" *_").endswith("\n\n"))


def link(role: str, label: str, path: Path, cell: int, text: str = "", pos: int = 1,
         index=None) -> str:
    shown = words(role, label, path, cell, index)
    if text and _sentence_start(text, pos):
        shown = shown[0].upper() + shown[1:]
    return f'[{shown}](#{label} "{role}")'


def to_links(markdown: str, path: Path, cell: int, index=None) -> str:
    """Every ``{numref}``/``{ref}`` role without text in ``markdown`` written as its link."""
    index = _chapters() if index is None else index
    out, last = [], 0
    for m in ROLE.finditer(markdown):
        out.append(markdown[last:m.start()])
        out.append(link(m.group(1), m.group(2), path, cell, markdown, m.start(), index))
        last = m.end()
    return "".join(out) + markdown[last:]


def to_roles(markdown: str) -> str:
    """Every reference link of ``markdown`` turned back into its role."""
    return LINK.sub(lambda m: f"{{{m.group(3)}}}`{m.group(2)}`", markdown)


def links(markdown: str) -> list[tuple[str, str, str, int]]:
    """``(shown, label, role, position)`` of every reference link of ``markdown``."""
    return [(m.group(1), m.group(2), m.group(3), m.start()) for m in LINK.finditer(markdown)]


def rewrite(path: Path, index=None) -> int:
    """Write the reference links of ``path`` afresh (roles and moved links); return how many."""
    index = _chapters() if index is None else index
    nb = notebooks.read(path)
    n = 0
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        new = to_links(to_roles(source), path, i, index)
        if new != source:
            n += 1
            cell["source"] = new.splitlines(keepends=True)
    if n:
        notebooks.write(path, nb)
    return n


def main(argv: list[str] | None = None) -> int:
    args = notebooks.arguments("booktools.crossref",
                               "write figure and exercise references as links", argv)
    for path in args.notebooks:
        print(f"{path}: {rewrite(path)} markdown cell(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
