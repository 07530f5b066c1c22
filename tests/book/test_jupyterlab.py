"""The learner's client: every notebook reads in JupyterLab as it does on the website.

JupyterLab (with jupyterlab-myst, from the course's environment) serves a copy of the course;
Chromium opens every notebook and reads each rendered markdown cell:

* no MyST source shows (``{glue``, ``:::{``, ``:label:``, ``{term}``, ``{cite``, ``{doc}``,
  ``{numref}``, ``{eval}``, a code fence of a directive);
* every number of the prose shows as its value — the result stored in the cell for each
  ``{eval}`glued("name:.1f")` `` — and no ``glued(...)`` expression shows instead;
* a cross-reference to another page shows that page's title, not its file name, and a citation
  reads as on the website ("Han et al. (2015)", a link to the source).

One notebook is then run as a learner runs it, after a setting was edited: Run All Cells from
the menu, and the sentence quoting the setting's result shows the new number; once saved, every
stored number of the notebook is the formatted value its own new outputs glued.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from booktools import cite, crossref, inline

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ["intro.ipynb"] + sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "chapters").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts)
MYST_SOURCE = re.compile(r"\{glue|:::\{|:label:|\{term\}|\{cite|\{doc\}|\{numref\}|\{eval\}|\{ref\}"
                         r"|```\{|:class:|:filter:")
# the learner's edit: the statistical rate of the price-of-halving chapter, and what it changes
EDITED = "chapters/part1/06-price-of-halving.ipynb"
SETTING = ("error_vs_data = 0.5", "error_vs_data = 0.25")
QUOTED = "theory_data"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the course's notebooks (nothing is written back)."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "intro.ipynb", root / "intro.ipynb")
    shutil.copytree(ROOT / "chapters", root / "chapters",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = tmp_path_factory.mktemp("settings")
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))  # every cell in the page
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DLIMITS_STRICT"}  # a reader's session
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [str(jupyter), "lab", "--no-browser", f"--port={port}", "--ServerApp.token=",
           "--ServerApp.password=", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}",
           f"--LabApp.user_settings_dir={settings}",
           f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('workspaces')}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = (root / "server.log").open("w")
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/api/status", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail("JupyterLab did not start:\n" + (root / "server.log").read_text()[-3000:])
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not answer within 90 s")
    yield url, root
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="module")
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def _open(page, url: str, notebook: str, n_markdown: int) -> list[str]:
    """Open ``notebook`` and return the text of its rendered markdown cells, in order."""
    page.goto(f"{url}/lab/tree/{notebook}?reset", wait_until="domcontentloaded")
    page.wait_for_function(
        """n => document.querySelectorAll('.jp-MarkdownCell .myst').length >= n""",
        arg=n_markdown, timeout=90_000)
    return page.eval_on_selector_all(
        ".jp-Notebook .jp-MarkdownCell",
        "els => els.map(e => (e.querySelector('.myst') || {textContent: 'NOT RENDERED'}).textContent)")


def _markdown_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "markdown"]


def _titles() -> dict[str, str]:
    """Page file name (without suffix) -> its title, for every notebook and markdown page."""
    titles = {}
    for path in [ROOT / "intro.ipynb", *ROOT.glob("chapters/**/*.ipynb")]:
        first = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown")
        titles[path.stem] = "".join(first["source"]).splitlines()[0].lstrip("# ").strip()
    return titles


def test_every_notebook_reads_as_on_the_website(lab, page):
    url, root = lab
    problems = []
    for notebook in NOTEBOOKS:
        nb = json.loads((root / notebook).read_text())
        cells = _markdown_cells(nb)
        shown = _open(page, url, notebook, len(cells))
        assert len(shown) == len(cells), f"{notebook}: {len(shown)} markdown cells shown of {len(cells)}"
        n_numbers = 0
        for i, (cell, text) in enumerate(zip(cells, shown, strict=True)):
            where = f"{notebook}, markdown cell {i}"
            if text == "NOT RENDERED":
                problems.append(f"{where}: not rendered")
                continue
            if hit := MYST_SOURCE.search(text):
                problems.append(f"{where}: shows MyST source {hit.group(0)!r}: "
                                f"…{text[max(0, hit.start() - 60):hit.end() + 40]}…")
            if "glued(" in text:
                problems.append(f"{where}: shows an expression instead of its value")
            for item in inline.stored(cell):
                value = item["result"]["data"]["text/plain"]
                n_numbers += 1
                if value not in text:
                    problems.append(f"{where}: the value {value!r} of {item['expression']} is missing")
            for shown_as, *_ in crossref.links("".join(cell["source"])):
                if shown_as not in text:
                    problems.append(f"{where}: the reference {shown_as!r} is missing")
            for shown_as, *_ in cite.citations("".join(cell["source"])):
                if shown_as not in text:
                    problems.append(f"{where}: the citation {shown_as!r} is missing")
            for doc in re.findall(r"\{doc\}`([^`<]+)`", "".join(cell["source"])):
                problems.append(f"{where}: {{doc}}`{doc}` shows a file name; give it the page's title")
        if notebook != "intro.ipynb":
            assert n_numbers > 0, f"{notebook}: no number of the prose was checked"
    assert not problems, "\n".join(problems[:40])


def _run_all(page) -> None:
    page.locator(".jp-Notebook").first.click()  # the notebook, not the file browser, has focus
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    # wait until every code cell has run: no prompt shows [*] or [ ], the kernel is idle
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                .map(p => p.textContent.trim());
            return prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
        }""", timeout=180_000)


def test_a_number_in_the_prose_follows_a_learners_edit(lab, page):
    url, root = lab
    path = root / EDITED
    nb = json.loads(path.read_text())
    code = next(c for c in nb["cells"] if SETTING[0] in "".join(c["source"]))
    code["source"] = "".join(code["source"]).replace(SETTING[0], SETTING[1])
    path.write_text(json.dumps(nb, indent=1))
    cells = _markdown_cells(nb)
    index = next(i for i, c in enumerate(cells) if f'glued("{QUOTED}' in "".join(c["source"]))
    before = next(item["result"]["data"]["text/plain"] for item in inline.stored(cells[index])
                  if QUOTED in item["expression"])

    shown_before = _open(page, url, EDITED, len(cells))[index]
    _run_all(page)
    expr = next(item["expression"] for item in inline.stored(cells[index]) if QUOTED in item["expression"])
    deadline = time.monotonic() + 60
    while True:  # save until the notebook holds what the rendered cells evaluated
        mtime = path.stat().st_mtime_ns
        page.keyboard.press("Control+s")
        while path.stat().st_mtime_ns == mtime and time.monotonic() < deadline:
            time.sleep(0.2)
        saved = json.loads(path.read_text())
        stored = inline.stored(_markdown_cells(saved)[index])
        after = next(item["result"]["data"]["text/plain"] for item in stored if item["expression"] == expr)
        if after != before or time.monotonic() > deadline:
            break
        time.sleep(1)
    shown_after = page.eval_on_selector_all(".jp-Notebook .jp-MarkdownCell .myst",
                                            "els => els.map(e => e.textContent)")[index]
    assert after != before, f"{QUOTED} still shows {before} after the setting changed"
    # error falls as n^-0.25: halving it takes 2^(1/0.25) = 16 times the data
    assert after == "16", f"with the edited rate the text should quote 16, it quotes {after}"
    assert shown_after != shown_before, "the rendered sentence did not change"
    for item in stored:
        assert item["result"]["data"]["text/plain"] in shown_after
    # every number of the saved notebook is the one its new outputs glued, except a number quoted
    # above the cell that computes it (the runtime under the title), which shows the run saved
    # before, as the text under the title says
    glued_at = {}
    for k, cell in enumerate(saved["cells"]):
        for out in cell.get("outputs", []):
            if name := out.get("metadata", {}).get("scrapbook", {}).get("name"):
                glued_at[name] = k
    for k, cell in enumerate(saved["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        failed = [item for item in inline.stored(cell) if item["result"].get("status") != "ok"]
        assert not failed, f"cell {k} showed an error during Run all: {failed[0]}"
        expected = inline.results_from_outputs(saved, cell, root / "chapters/part1")
        for got, want in zip(inline.stored(cell), expected, strict=True):
            name = re.match(r'glued\("(?:[^"]*::)?(\w+)', want["expression"]).group(1)
            if "::" in want["expression"] or glued_at.get(name, -1) < k:
                assert got == want, f"cell {k} of the saved notebook quotes {got}, its outputs {want}"
