"""Small Sphinx additions for the course's website.

* The site is built from the notebooks' committed outputs (myst-nb execution is off), so myst-nb
  has no execution statistics of its own and ``{nb-exec-table}`` would be empty. We fill them in
  from the timings nbconvert records in each executed cell's metadata: the table then shows when
  and how long each committed notebook ran, from its first cell to its last.
* A broken notebook fails the build: a stored error output, or a code cell that was never run,
  is reported as a Sphinx warning, which ``-W`` turns into an error.
* Every exercise shows its level and the minutes it takes, from ``backmatter/teaching.yml``
  (:mod:`booktools.teaching`), as a first line under its title.
* Two accessibility repairs of the theme's HTML, made in the written pages: the folding arrows of
  the navigation (``<summary>`` elements with no text) get a name, and the entries of a
  bibliography, inside an element with ``role="list"``, get ``role="listitem"`` instead of the
  deprecated ``doc-biblioentry`` (axe-core: "summary-name", "aria-required-children").
* ``{external-links}`` lists, on one page, every link out of the site: those in the chapters'
  text (collected from each page as it is read) and the web address or DOI of every source in
  the bibliography.
* The prose's inline expressions, ``{eval}`glued("acc:.1f")` ``, are shown with the results
  stored in each markdown cell's ``user_expressions`` metadata (what ``jupyterlab-myst`` stores
  when a reader renders the cell, and what ``python -m booktools.execute`` stores when a notebook is
  executed): the site shows the committed run, as for every other output. myst-nb's own
  ``{eval}`` role needs a running kernel; ours replaces it. A missing or failed result is a
  warning, which ``-W`` turns into an error.
* Citations and references to figures and exercises are written in the notebooks as Markdown
  links that read in JupyterLab (:mod:`booktools.cite`, :mod:`booktools.crossref`); as each
  notebook is read, they are turned back into sphinxcontrib-bibtex's ``{cite:t}``/``{cite:p}``
  and Sphinx's ``{numref}``/``{ref}`` roles, so the site's citations and numbers are real ones.
* sphinx-thebe adds its inline configuration script twice under Jupyter Book 1.0, which makes the
  browser report "Identifier 'THEBE_JS_URL' has already been declared" on every page. We drop
  repeated inline scripts before each page is written.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective, SphinxRole


def stored_inline_results(path: Path) -> dict[str, set[str]]:
    """``{expression: {text shown}}`` from the ``user_expressions`` of a notebook's markdown cells
    (an expression evaluated to ``status: error`` maps to ``"<error: ...>"``)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        for item in cell.get("metadata", {}).get("user_expressions", []) or []:
            result = item.get("result", {})
            if result.get("status") == "ok":
                text = result.get("data", {}).get("text/plain", "")
                text = "".join(text) if isinstance(text, list) else text
                if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
                    text = text[1:-1]  # a str shown by its repr (as jupyterlab-myst strips it)
            else:
                text = f"<error: {result.get('ename')}: {result.get('evalue')}>"
            found.setdefault(item.get("expression", ""), set()).add(text)
    return found


@functools.lru_cache(maxsize=64)
def _cached_results(path: Path, mtime: float) -> dict[str, set[str]]:
    return stored_inline_results(path)


class StoredEvalRole(SphinxRole):
    """``{eval}`expr` ``: the result of ``expr`` stored in the notebook by its committed run."""

    def run(self):
        from sphinx.util import logging

        log = logging.getLogger(__name__)
        source = Path(self.env.doc2path(self.env.docname))
        results = _cached_results(source, source.stat().st_mtime) if source.suffix == ".ipynb" else {}
        shown = results.get(self.text, set())
        where = (self.env.docname, self.lineno)
        if not shown:
            log.warning(f"{{eval}}`{self.text}` has no stored result: execute the notebook "
                        "(make execute) or, for glued() values of the committed run, "
                        "python -m booktools.execute --from-outputs", location=where)
            return [], []
        if len(shown) > 1:
            log.warning(f"{{eval}}`{self.text}` has different stored results in different cells "
                        f"({sorted(shown)}); glue each value under its own name", location=where)
        text = sorted(shown)[0]
        if text.startswith("<error:"):
            log.warning(f"{{eval}}`{self.text}` failed when the notebook ran: {text}",
                        location=where)
        node = nodes.inline(text, text, classes=["pasted-text"])
        return [node], []


def _links_to_roles(app, docname, source):
    """Citation and reference links of a notebook (which read in JupyterLab) become the roles
    the site numbers and resolves: :mod:`booktools.cite`, :mod:`booktools.crossref`."""
    from . import cite, crossref

    if Path(app.env.doc2path(docname)).suffix != ".ipynb":
        return
    nb = json.loads(source[0])
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = "".join(cell.get("source", ""))
            cell["source"] = crossref.to_roles(cite.to_roles(cite.without_sources(text)))
    source[0] = json.dumps(nb, ensure_ascii=False)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def committed_execution(path: Path) -> dict | None:
    """Execution statistics of a committed notebook, from nbconvert's per-cell timings."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    starts, ends, failed = [], [], False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            starts.append(_parse(timing["iopub.execute_input"]))
            ends.append(_parse(timing["shell.execute_reply"]))
        failed |= any(out.get("output_type") == "error" for out in cell.get("outputs", []))
    if not starts:
        return None
    return {
        "mtime": max(ends).timestamp(),
        "runtime": (max(ends) - min(starts)).total_seconds(),
        "method": "committed outputs",
        "succeeded": not failed,
        "error": None,
        "traceback": None,
    }


def notebook_problems(path: Path) -> list[str]:
    """Stored errors and never-executed code cells of a committed notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or not "".join(cell.get("source", "")).strip():
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("execution_count") is None and "solution" not in tags:
            problems.append(f"cell {i} was never executed (run `make execute`)")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and "raises-exception" not in tags:
                problems.append(f"cell {i} has a stored error: {out.get('ename')}: {out.get('evalue')}")
    return problems


def _record_committed_execution(app, doctree):
    from myst_nb.sphinx_ import NbMetadataCollector
    from sphinx.util import logging

    env = app.env
    source = Path(env.doc2path(env.docname))
    if source.suffix != ".ipynb":
        return
    for problem in notebook_problems(source):
        logging.getLogger(__name__).warning(f"broken notebook: {problem}", location=env.docname)
    if NbMetadataCollector.get_exec_data(env, env.docname):
        return
    stats = committed_execution(source)
    if stats is not None:
        NbMetadataCollector.set_exec_data(env, env.docname, stats)


def _mark_exercise_levels(app, doctree):
    from docutils import nodes
    from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node

    from . import teaching

    levels = teaching.exercise_levels(teaching.load(Path(app.srcdir) / "backmatter" / "teaching.yml"))
    for node in doctree.findall(lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))):
        label = node.get("label")
        if label not in levels:
            continue
        line = nodes.paragraph(classes=["exercise-level"])
        line += nodes.emphasis(text=teaching.level_line(*levels[label]))
        titles = [i for i, child in enumerate(node.children) if isinstance(child, nodes.title)]
        node.insert(titles[0] + 1 if titles else 0, line)


def _dedupe_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        filename = getattr(js, "filename", js) or ""
        body = getattr(js, "attributes", {}).get("body")
        key = (filename, body)
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    context["script_files"] = unique


class external_links_node(nodes.General, nodes.Element):
    """Placeholder for the list of external links, filled in once every page has been read."""


class ExternalLinks(SphinxDirective):
    has_content = False

    def run(self):
        return [external_links_node()]


def _is_external(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def _collect_links(app, doctree):
    links = getattr(app.env, "dlimits_links", {})
    found = []
    for ref in doctree.findall(nodes.reference):
        uri = ref.get("refuri", "")
        if _is_external(uri) and (uri, ref.astext()) not in found:
            found.append((uri, ref.astext()))
    links[app.env.docname] = found
    app.env.dlimits_links = links


def _purge_links(app, env, docname):
    getattr(env, "dlimits_links", {}).pop(docname, None)


def _merge_links(app, env, docnames, other):
    env.dlimits_links = getattr(env, "dlimits_links", {})
    env.dlimits_links.update({d: getattr(other, "dlimits_links", {}).get(d, [])
                              for d in docnames})


def _bibliography_links(app) -> list[tuple[str, str, str]]:
    from pybtex.database import parse_file

    out = []
    for bib in app.config.bibtex_bibfiles:
        entries = parse_file(str(Path(app.srcdir) / bib)).entries
        for key, entry in sorted(entries.items()):
            title = entry.fields.get("title", key).replace("{", "").replace("}", "")
            fields = entry.fields
            if fields.get("url"):
                out.append((key, title, fields["url"]))
            if fields.get("doi"):
                out.append((key, title, "https://doi.org/" + fields["doi"]))
            if fields.get("eprint"):
                out.append((key, title, "https://arxiv.org/abs/" + fields["eprint"]))
    return out


def _link_item(uri: str, text: str):
    item = nodes.list_item()
    para = nodes.paragraph()
    para += nodes.reference("", uri, refuri=uri)
    if text and text != uri:
        para += nodes.Text(f" — {text}")
    item += para
    return item


def _fill_external_links(app, doctree, fromdocname):
    holders = list(doctree.findall(external_links_node))
    if not holders:
        return
    env = app.env
    links = getattr(env, "dlimits_links", {})
    content = []
    for docname in _reading_order(env):
        found = links.get(docname, []) if docname != fromdocname else []
        if not found:
            continue
        section = nodes.section(ids=[f"links-{docname.replace('/', '-')}"])
        title = nodes.title()
        ref = nodes.reference("", env.titles[docname].astext(),
                              refuri=app.builder.get_relative_uri(fromdocname, docname))
        title += ref
        section += title
        bullets = nodes.bullet_list()
        for uri, text in found:
            bullets += _link_item(uri, text)
        section += bullets
        content.append(section)
    bib = _bibliography_links(app)
    section = nodes.section(ids=["links-sources"])
    section += nodes.title(text="Sources cited in the course")
    bullets = nodes.bullet_list()
    for _key, title, uri in bib:
        bullets += _link_item(uri, title)
    section += bullets
    content.append(section)
    for holder in holders:
        holder.replace_self(content)


def _reading_order(env) -> list[str]:
    order: list[str] = []

    def walk(doc):
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    return order


_A11Y_FIXES = (
    ('role="doc-biblioentry"', 'role="listitem"'),
    ('<summary><span class="toctree-toggle"',
     '<summary aria-label="Show or hide the chapters of this part"><span class="toctree-toggle"'),
)


def _repair_accessibility(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = text
        for old, new in _A11Y_FIXES:
            fixed = fixed.replace(old, new)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    app.add_role("eval", StoredEvalRole(), override=True)
    app.connect("source-read", _links_to_roles)
    app.add_node(external_links_node)
    app.add_directive("external-links", ExternalLinks)
    app.connect("doctree-read", _collect_links)
    app.connect("env-purge-doc", _purge_links)
    app.connect("env-merge-info", _merge_links)
    app.connect("doctree-resolved", _fill_external_links)
    app.connect("build-finished", _repair_accessibility)
    app.connect("doctree-read", _record_committed_execution)
    app.connect("doctree-read", _mark_exercise_levels)
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
