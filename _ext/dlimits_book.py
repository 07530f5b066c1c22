"""Small Sphinx fixes for the course's website.

* sphinx-thebe adds its inline configuration script twice under Jupyter Book 1.0, which makes
  the browser report "Identifier 'THEBE_JS_URL' has already been declared" on every page. We drop
  repeated inline scripts before each page is written.
"""

from __future__ import annotations


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
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
