"""Citations that read in JupyterLab and are real citations on the website.

JupyterLab (``jupyterlab-myst``) has no bibliography, so a ``{cite:t}`han2015learning` `` role
shows there as an unresolved key. The notebooks therefore write each citation as a Markdown link
that reads as the website's citation does and points at the source, with the citation's kind and
keys in the link's title::

    [Han et al. (2015)](https://arxiv.org/abs/1506.02626 "cite:t han2015learning")
    [(Amodei and Hernandez, 2018; Sevilla et al., 2022)](https://... "cite:p amodei2018ai,sevilla2022compute")

When the website is built, :func:`to_roles` turns every such link back into the
``{cite:t}``/``{cite:p}`` role of sphinxcontrib-bibtex (the course's Sphinx extension,
``booktools.sphinx_ext``, does it as each notebook is read), so the site's citations, hover cards and per-chapter reference lists are
unchanged. The link's text and address are generated from ``assets/references.bib``; a test
regenerates them and fails if one has drifted.

JupyterLab cannot show the chapter's ``{bibliography}`` either, so the references cell also holds
the list of the sources the notebook cites, between two MyST comments; the site drops the list
and shows its own bibliography.

``python -m booktools.cite NOTEBOOK ...`` rewrites any ``{cite:t}``/``{cite:p}`` role an author
typed into this form and writes the list of sources afresh.
"""

from __future__ import annotations

import codecs
import functools
import re
import sys
from pathlib import Path

import latexcodec  # noqa: F401  (registers the "ulatex" codec)
from pybtex.database import parse_file

from . import notebooks

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "assets" / "references.bib"
ROLE = re.compile(r"\{cite:([tp])\}`([^`]+)`")
# a link whose title is "cite:t key" or "cite:p key1,key2" (its text may hold one level of [])
LINK = re.compile(r'\[((?:[^\[\]\n]|\[[^\[\]\n]*\])+)\]\((\S+) "cite:([tp]) ([\w\-,:.]+)"\)')


@functools.lru_cache(maxsize=4)
def load(bib: Path = BIB) -> dict[str, dict]:
    """``{key: {"names": "Han et al.", "year": "2015", "url": "https://..."}}`` from the .bib."""
    out = {}
    for key, entry in parse_file(str(bib)).entries.items():
        people = entry.persons.get("author", [])
        last = [_plain(" ".join(p.prelast_names + p.last_names) or str(p)) for p in people]
        if not last:
            raise ValueError(f"{bib.name}: {key} has no author")
        names = (last[0] if len(last) == 1 else
                 f"{last[0]} and {last[1]}" if len(last) == 2 else f"{last[0]} et al.")
        fields = entry.fields
        url = (f"https://doi.org/{fields['doi']}" if fields.get("doi") else
               fields.get("url") or
               (f"https://arxiv.org/abs/{fields['eprint']}" if fields.get("eprint") else
                "#references"))
        out[key] = {"names": names, "year": fields.get("year", "n.d."), "url": url}
    return out


def _plain(text: str) -> str:
    text = codecs.decode(text, "ulatex")
    return text.replace("{", "").replace("}", "").strip()


def link(kind: str, keys: list[str], bib: Path = BIB) -> str:
    """The Markdown link that stands for ``{cite:<kind>}`key1,key2` ``."""
    if kind not in ("t", "p"):
        raise ValueError(f"kind must be 't' (textual) or 'p' (parenthetical), got {kind!r}.")
    entries = load(bib)
    missing = [k for k in keys if k not in entries]
    if not keys or missing:
        raise KeyError(f"no entry in {bib.name} for {missing or keys!r}")
    if kind == "t":
        text = "; ".join(f"{entries[k]['names']} ({entries[k]['year']})" for k in keys)
    else:
        text = "(" + "; ".join(f"{entries[k]['names']}, {entries[k]['year']}" for k in keys) + ")"
    return f'[{text}]({entries[keys[0]]["url"]} "cite:{kind} {",".join(keys)}")'


def to_links(markdown: str, bib: Path = BIB) -> str:
    """Every ``{cite:t}``/``{cite:p}`` role of ``markdown`` written as its link."""
    return ROLE.sub(lambda m: link(m.group(1), [k.strip() for k in m.group(2).split(",")], bib),
                    markdown)


def to_roles(markdown: str) -> str:
    """Every citation link of ``markdown`` turned back into its sphinxcontrib-bibtex role."""
    return LINK.sub(lambda m: f"{{cite:{m.group(3)}}}`{m.group(4)}`", markdown)


def citations(markdown: str) -> list[tuple[str, str, str, list[str]]]:
    """``(text, url, kind, keys)`` of every citation link of ``markdown``."""
    return [(m.group(1), m.group(2), m.group(3), m.group(4).split(","))
            for m in LINK.finditer(markdown)]


START, END = "% the sources cited in this notebook, for JupyterLab", "% end of the sources"
SOURCES = re.compile(re.escape(START) + r".*?" + re.escape(END) + r"\n?", re.S)


def reference_list(keys: list[str], bib: Path = BIB) -> str:
    """The entries ``keys`` of the bibliography as a Markdown list, in the site's order and style
    (pybtex's "plain" style, which the site's chapter bibliographies use)."""
    from pybtex.database import parse_file as parse
    from pybtex.plugin import find_plugin
    from pybtex.style.formatting.plain import Style

    db = parse(str(bib))
    missing = [k for k in keys if k not in db.entries]
    if missing:
        raise KeyError(f"no entry in {bib.name} for {missing!r}")
    backend = find_plugin("pybtex.backends", "markdown")()
    entries = Style().format_entries([db.entries[k] for k in dict.fromkeys(keys)])
    return "\n".join("- " + " ".join(e.text.render(backend).split("\n")) for e in entries)


def sources_block(keys: list[str], bib: Path = BIB) -> str:
    """What the references cell of a notebook adds for JupyterLab, which has no bibliography:
    the list of the sources cited, between two MyST comments (removed again on the site)."""
    return f"{START}\n{reference_list(keys, bib)}\n{END}\n"


def without_sources(markdown: str) -> str:
    """``markdown`` without the JupyterLab-only list of sources (as the site reads it)."""
    return SOURCES.sub("", markdown)


def cited_keys(cells: list[dict]) -> list[str]:
    """Every key cited in the markdown cells, in order of first citation."""
    keys: dict[str, None] = {}
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for *_, cell_keys in citations("".join(cell.get("source", ""))):
                keys.update(dict.fromkeys(cell_keys))
    return list(keys)


def with_sources(markdown: str, keys: list[str], bib: Path = BIB) -> str:
    """The references cell ``markdown`` with its list of sources written afresh."""
    match = re.search(r"```\{bibliography\}.*?\n```[ \t]*\n?", without_sources(markdown), re.S)
    if match is None:
        raise ValueError("not a references cell: it has no {bibliography} directive")
    text = without_sources(markdown)
    head, tail = text[:match.end()].rstrip("\n"), text[match.end():].lstrip("\n")
    return head + "\n\n" + sources_block(keys, bib) + ("\n" + tail if tail else "")


def main(argv: list[str] | None = None) -> int:
    args = notebooks.arguments("booktools.cite", "write {cite:t}/{cite:p} roles as citation links",
                               argv)
    for path in args.notebooks:
        nb = notebooks.read(path)
        n = 0
        for cell in nb["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            source = "".join(cell["source"])
            new = to_links(source)
            if new != source:
                n += len(ROLE.findall(source))
                cell["source"] = new.splitlines(keepends=True)
        keys = cited_keys(nb["cells"])
        for cell in nb["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown" and "```{bibliography}" in source and keys:
                cell["source"] = with_sources(source, keys).splitlines(keepends=True)
        notebooks.write(path, nb)
        print(f"{path}: {n} citation(s) written as links, {len(keys)} source(s) listed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
