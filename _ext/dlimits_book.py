"""Small Sphinx additions for the course's website.

* The site is built from the notebooks' committed outputs (myst-nb execution is off), so myst-nb
  has no execution statistics of its own and ``{nb-exec-table}`` would be empty. We fill them in
  from the timings nbconvert records in each executed cell's metadata: the table then shows when
  and how long each committed notebook ran, from its first cell to its last.
* A broken notebook fails the build: a stored error output, or a code cell that was never run,
  is reported as a Sphinx warning, which ``-W`` turns into an error.
* sphinx-thebe adds its inline configuration script twice under Jupyter Book 1.0, which makes the
  browser report "Identifier 'THEBE_JS_URL' has already been declared" on every page. We drop
  repeated inline scripts before each page is written.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path


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


def setup(app):
    app.connect("doctree-read", _record_committed_execution)
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
