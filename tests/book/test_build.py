"""The website builds cleanly and shows no error output from any notebook."""

import json
import re
from pathlib import Path

import yaml

from .conftest import ROOT


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    def walk(items):
        for item in items:
            if "file" in item:
                files.append(item["file"])
            walk(item.get("sections", []))
            walk(item.get("chapters", []))
    walk(toc["parts"])
    return files


def test_every_page_in_the_toc_is_built(built_site):
    missing = [f for f in toc_files() if not (built_site / f"{f}.html").exists()]
    assert not missing, f"pages in _toc.yml without HTML output: {missing}"


def test_every_notebook_in_chapters_is_in_the_toc():
    listed = set(toc_files())
    notebooks = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "chapters").rglob("*.ipynb")
                 if ".ipynb_checkpoints" not in p.parts}
    assert notebooks <= listed, f"notebooks missing from _toc.yml: {sorted(notebooks - listed)}"


def test_committed_notebooks_are_executed_without_errors():
    problems = []
    for path in sorted((ROOT / "chapters").rglob("*.ipynb")):
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
                continue
            if cell.get("execution_count") is None:
                problems.append(f"{path.name} cell {i}: never executed")
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    problems.append(f"{path.name} cell {i}: stored error {out.get('ename')}")
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    problems.append(f"{path.name} cell {i}: stderr output {''.join(out['text'])[:80]!r}")
    assert not problems, "\n".join(problems)


def test_html_has_no_error_outputs_or_tracebacks(built_site):
    bad = []
    for page in built_site.rglob("*.html"):
        if "_static" in page.parts:
            continue
        text = page.read_text(errors="replace")
        if "Traceback (most recent call last)" in text or 'class="output traceback' in text:
            bad.append(str(page.relative_to(built_site)))
        if re.search(r"<span class=\"[a-z]*\">(?:[A-Za-z]+Error|Exception)</span>:", text):
            bad.append(str(page.relative_to(built_site)))
    assert not bad, f"pages showing errors: {bad}"


def test_figures_have_alt_text_and_captions(built_site):
    for f in toc_files():
        if not f.startswith("chapters/"):
            continue
        html = (built_site / f"{f}.html").read_text()
        for img in re.findall(r"<img[^>]*>", html):
            if "_images/" in img or "jupyter_execute" in img:
                alt = re.search(r'alt="([^"]*)"', img)
                assert alt and len(alt.group(1)) > 20, f"{f}: figure without real alt text: {img[:120]}"


def test_execution_times_page_lists_every_notebook(built_site):
    html = (built_site / "backmatter" / "execution-times.html").read_text()
    table = html[html.index("<table"):html.index("</table>")]
    for path in (ROOT / "chapters").rglob("*.ipynb"):
        docname = str(path.relative_to(ROOT).with_suffix(""))
        row = re.search(re.escape(docname) + r".*?</tr>", table, re.S)
        assert row, f"{docname} missing from the execution-times table"
        runtime = re.findall(r"<p>(\d+\.\d+)</p>", row.group(0))
        assert runtime and 0 < float(runtime[0]) < 120, f"{docname}: no plausible runtime in {row.group(0)[:300]}"


def test_committed_execution_statistics_are_read_from_cell_timings(tmp_path):

    from booktools.sphinx_ext import committed_execution

    cell = {"cell_type": "code", "outputs": [], "metadata": {"execution": {
        "iopub.execute_input": "2026-01-01T00:00:01.000Z", "shell.execute_reply": "2026-01-01T00:00:03.500Z"}}}
    nb = tmp_path / "x.ipynb"
    nb.write_text(json.dumps({"cells": [cell, dict(cell, metadata={})]}))
    stats = committed_execution(nb)
    assert stats["runtime"] == 2.5 and stats["succeeded"] is True
    nb.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": []}]}))
    assert committed_execution(nb) is None


def test_a_broken_notebook_is_reported_to_the_build(tmp_path):

    from booktools.sphinx_ext import notebook_problems

    cells = [
        {"cell_type": "code", "source": "1/0", "execution_count": 1, "metadata": {},
         "outputs": [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero"}]},
        {"cell_type": "code", "source": "x = 1", "execution_count": None, "metadata": {}, "outputs": []},
        {"cell_type": "code", "source": "y = 2", "execution_count": None,
         "metadata": {"tags": ["solution"]}, "outputs": []},
    ]
    nb = tmp_path / "broken.ipynb"
    nb.write_text(json.dumps({"cells": cells}))
    problems = notebook_problems(nb)
    assert len(problems) == 2
    assert "ZeroDivisionError" in problems[0] and "never executed" in problems[1]


def test_repository_url_is_set_in_one_place():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"]
    assert url.startswith("https://")
    mentions = [p for p in ROOT.glob("*.yml") if url in p.read_text()]
    assert [p.name for p in mentions] == ["_config.yml"]


def test_student_edition_has_no_solutions(tmp_path):
    import subprocess
    import sys

    nbs = sorted((ROOT / "chapters").rglob("*.ipynb"))
    exe = Path(sys.executable).with_name("jupyter")
    for nb in nbs:
        subprocess.run(
            [str(exe), "nbconvert", "--to", "notebook", str(nb), "--output-dir", str(tmp_path),
             "--log-level=ERROR", "--TagRemovePreprocessor.enabled=True",
             "--TagRemovePreprocessor.remove_cell_tags=['solution']"],
            check=True,
        )
        original = json.loads(nb.read_text())
        student = json.loads((tmp_path / nb.name).read_text())
        n_solution = sum("solution" in c.get("metadata", {}).get("tags", []) for c in original["cells"])
        assert n_solution > 0, f"{nb.name} has no solution-tagged cells"
        assert len(student["cells"]) == len(original["cells"]) - n_solution
        text = json.dumps(student)
        assert "{solution" not in text, f"{nb.name}: a solution directive survived in the student edition"


def test_every_internal_link_and_anchor_resolves(built_site):
    """Every link from one page of the site to another, and every #anchor, has a target."""
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.hrefs, self.ids = [], set()

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("id"):
                self.ids.add(attrs["id"])
            if tag in ("a", "link") and attrs.get("href"):
                self.hrefs.append(attrs["href"])

    pages = {}
    for page in built_site.rglob("*.html"):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        pages[page.resolve()] = parser
    broken, checked = [], 0
    for page, parser in pages.items():
        for href in parser.hrefs:
            if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith("//"):
                continue  # external (http, mailto, …): listed, not fetched
            checked += 1
            path, _, anchor = href.partition("#")
            path = path.partition("?")[0]  # cache-busting query strings
            target = (page.parent / path).resolve() if path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(built_site.resolve())}: {href}")
            elif anchor and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if anchor not in ids:
                    broken.append(f"{page.relative_to(built_site.resolve())}: {href} (no anchor)")
    assert checked > 20 * len(pages), f"only {checked} internal links found on {len(pages)} pages"
    assert not broken, f"{len(broken)} broken internal links, e.g. {broken[:10]}"


def test_every_external_link_is_listed_on_the_links_page(built_site):
    links_page = (built_site / "backmatter" / "links.html").read_text(encoding="utf-8")
    listed = set(re.findall(r'href="(https?://[^"]+)"', links_page))
    assert len(listed) >= 50, f"only {len(listed)} links listed"
    missing = {}
    for f in toc_files():
        html = (built_site / f"{f}.html").read_text(encoding="utf-8")
        article = html[html.find("<article"):html.find("</article>")]
        for href in set(re.findall(r'href="(https?://[^"]+)"', article)):
            if href not in listed:
                missing.setdefault(f, []).append(href)
    assert not missing, f"external links missing from backmatter/links: {missing}"
