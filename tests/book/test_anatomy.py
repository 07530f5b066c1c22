"""Every chapter notebook follows the anatomy of CONTRIBUTING.md.

These checks read the committed notebooks; they catch a chapter that ships without objectives,
hidden claim checks, exercises with solutions, references, or its own cost report.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
NOTEBOOKS = [ROOT / "intro.ipynb", *CHAPTERS]
# glue keys that report what the notebook cost, not a result of the text
COST_GLUE = {"nb_runtime"}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found under chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_anatomy(path):
    cells = _cells(path)
    markdown = "\n".join(_src(c) for c in cells if c["cell_type"] == "markdown")
    code = [c for c in cells if c["cell_type"] == "code"]

    title = next(c for c in cells if c["cell_type"] == "markdown")
    assert _src(title).lstrip().startswith("# "), "the first markdown cell must hold the title"
    assert "Learning objectives" in markdown, "learning objectives admonition missing"
    assert '{eval}`glued("nb_runtime' in markdown, "the measured runtime is not shown"
    assert re.search(r"Key takeaways", markdown), "key takeaways missing"
    assert "```{bibliography}" in markdown, "references section missing"
    assert "{eval}`glued(" in markdown, "no number in the prose comes from the code"

    exercises = re.findall(r"```\{exercise\}", markdown)
    assert len(exercises) >= 6, f"only {len(exercises)} exercises (at least six required)"
    solutions = re.findall(r"```\{solution(?:-start)?\} (\S+)", markdown)
    labels = re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", markdown)
    assert set(labels) <= set(solutions), f"exercises without a solution: {set(labels) - set(solutions)}"
    assert markdown.count("```{solution-start}") >= 2, "at least two code exercises are required"

    for cell in cells:
        text = _src(cell)
        if "{solution" in text:
            assert "solution" in _tags(cell), "solution cells must be tagged `solution`"
    code_solutions = [c for c in code if "solution" in _tags(c) and "remove-cell" not in _tags(c)]
    assert len(code_solutions) >= 2, "code exercises need solution-tagged code cells"

    checks = [c for c in code if "remove-cell" in _tags(c) and "claim(" in _src(c)]
    assert checks, "no hidden check cell states the chapter's claims with dlimits.claim"

    last = code[-1]
    assert "cost_report" in _src(last) and "nb_runtime" in _src(last), \
        "the last code cell must report the notebook's cost"
    assert "nbval-check-output" not in _tags(last), "the cost cell reports a time: never compare it"


def _parse(cell: dict) -> ast.Module | None:
    lines = [ln for ln in _src(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _claim_calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (
        (isinstance(n.func, ast.Name) and n.func.id == "claim")
        or (isinstance(n.func, ast.Attribute) and n.func.attr == "claim"))]


GLUE_ROLE = re.compile(r"""\{eval\}`glued\(["'](?:([^`:"']+\.ipynb)::)?([A-Za-z_][\w]*)""")


def glued_in_prose(cells: list[dict]) -> set[str]:
    """Glue keys the prose quotes from this notebook (not those quoted from another page)."""
    text = "\n".join(_src(c) for c in cells if c["cell_type"] == "markdown")
    return {key for doc, key in GLUE_ROLE.findall(text) if not doc}


def claimed_keys(cells: list[dict]) -> set[str]:
    named: set[str] = set()
    for cell in cells:
        if cell["cell_type"] == "code" and (tree := _parse(cell)) is not None:
            for call in _claim_calls(tree):
                named |= {kw.arg for kw in call.keywords if kw.arg}
    return named


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_results_quoted_from_another_page_are_checked_there(path):
    """``{eval}`glued("other.ipynb::key")` `` quotes a result of another notebook: it must exist there
    and be named in one of that notebook's claims."""
    text = "\n".join(_src(c) for c in _cells(path) if c["cell_type"] == "markdown")
    for doc, key in GLUE_ROLE.findall(text):
        if not doc:
            continue
        other = (path.parent / doc).resolve()
        assert other.exists(), f"{path.name} quotes {key!r} from {doc}, which does not exist"
        assert key in claimed_keys(_cells(other)), (
            f"{path.name} quotes {key!r} from {doc}, where no claim names it")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_claims_are_stated_with_dlimits_claim_not_assert(path):
    """A bare assert stops a reader's Run all; dlimits.claim shows a note instead."""
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        tree = _parse(cell)
        assert tree is not None, f"cell {i} is not valid Python"
        asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
        assert not asserts, f"cell {i} uses assert; state the claim with dlimits.claim(...)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_glued_result_has_a_claim_check(path):
    """Each number the prose quotes from the code is named in a claim that checks it.

    ``claim(cond, "words", key=value)`` names the glue key ``key``. A glued value that is no
    result (a count of table rows, a setting) is listed with its reason in the notebook's
    metadata: ``{"dlimits": {"unchecked_glue": {"n_models": "number of rows of the table"}}}``.
    """
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    named = claimed_keys(cells)
    exempt = nb.get("metadata", {}).get("dlimits", {}).get("unchecked_glue", {})
    for key, reason in exempt.items():
        assert isinstance(reason, str) and len(reason) > 10, f"unchecked glue {key!r} needs a reason"
    missing = sorted(glued_in_prose(cells) - named - set(exempt) - COST_GLUE)
    assert not missing, f"glued results with no claim naming them: {missing}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_code_solutions_end_with_a_claim(path):
    cells = _cells(path)
    inside, last_code = False, None
    for i, cell in enumerate(cells):
        text = _src(cell)
        if cell["cell_type"] == "markdown" and "```{solution-start}" in text:
            inside, last_code = True, None
        elif cell["cell_type"] == "markdown" and "```{solution-end}" in text:
            assert last_code is not None, f"cell {i}: a code solution without code"
            assert "claim(" in _src(cells[last_code]), (
                f"cell {last_code}: a code solution must end by checking what its text says "
                "with dlimits.claim")
            inside = False
        elif (inside and cell["cell_type"] == "code"
              and "exercise-check" not in cell.get("metadata", {}).get("tags", [])):
            last_code = i  # the student's check after a solution is not the solution's claim


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_has_a_caption_and_alt_text(path):
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        has_image = any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        if not has_image or "solution" in _tags(cell):
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        caption = meta.get("figure", {}).get("caption", "")
        alt = meta.get("image", {}).get("alt", "")
        assert len(caption) > 20, f"cell {i}: figure without a caption"
        assert len(alt) > 20, f"cell {i}: figure without alt text"


@pytest.mark.parametrize("csv", sorted((ROOT / "dlimits" / "tables").glob("*.csv")), ids=lambda p: p.stem)
def test_data_tables_carry_a_source_on_every_row(csv):
    import pandas as pd

    table = pd.read_csv(csv)
    source_cols = [c for c in table.columns if "source" in c.lower()]
    assert source_cols, f"{csv.name} has no source column"
    missing = table[source_cols].isna().all(axis=1) | (table[source_cols].astype(str)
                                                       .apply(lambda s: s.str.strip()) == "").all(axis=1)
    assert not missing.any(), f"{csv.name}: rows without a source: {table.index[missing].tolist()}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_first_code_cell_finds_or_fetches_the_course_package(path):
    """The first cell is the setup cell generated from _config.yml (booktools.launch): it says
    what the notebook needs, fetches it in Colab, stops with directions elsewhere, and imports
    ``glued`` before the title cell, whose numbers JupyterLab evaluates as Run all reaches it."""
    from booktools import launch

    first = _cells(path)[0]
    assert _src(first) == launch.cell_source(), (
        "the first code cell is not the setup cell: run python -m booktools.launch on the notebook")
    assert launch.TAG in _tags(first) and "nbval-check-output" not in _tags(first)


PROCESS_TALK = re.compile(
    r"\bissue (?:asks|says|#?\d)|\bTODO\b|\bFIXME\b|co-?author|helper session|the task (?:asks|says)",
    re.IGNORECASE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_speak_to_readers_only(path):
    """No cell, hidden or not, talks about how the course was made."""
    for i, cell in enumerate(_cells(path)):
        hit = PROCESS_TALK.search(_src(cell))
        assert not hit, f"cell {i} speaks of the course's making: {hit.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_glued_values_are_plain_python(path):
    """A glued NumPy scalar is stored as ``np.float64(93.44)``, which the site prints verbatim
    or cannot format; glue ``float(x)`` or ``int(x)`` instead."""
    for i, cell in enumerate(_cells(path)):
        for out in cell.get("outputs", []):
            value = out.get("data", {}).get("application/papermill.record/text/plain", "")
            assert not value.startswith("np."), (
                f"cell {i} glues a NumPy value ({value}); wrap it in float() or int()")


CHECK_OUTPUT = "nbval-check-output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_compared_exactly_are_marked_and_plausibly_the_same_everywhere(path):
    """nbval runs in lax mode and compares only cells tagged ``nbval-check-output``.

    Every exercise check is compared (its "passed" must hold on every CPU); a compared cell is
    never also marked to be ignored, and none reports a time or a trained model's metric directly.
    """
    timing = re.compile(r"\b(latency|paired|perf_counter|timeit|cost_report|measure_roofline|"
                        r"matmul_throughput|memory_bandwidth)\b")
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        tags = _tags(cell)
        if "exercise-check" in tags:
            assert CHECK_OUTPUT in tags, f"cell {i}: an exercise check must be tagged {CHECK_OUTPUT}"
        if CHECK_OUTPUT in tags:
            assert "nbval-ignore-output" not in tags and "nbval-skip" not in tags, (
                f"cell {i} is tagged both to compare and to ignore its output")
            hit = timing.search(_src(cell))
            assert not hit, f"cell {i} is compared exactly but measures time ({hit.group(0)})"


def test_the_course_compares_some_outputs_exactly():
    tagged = sum(CHECK_OUTPUT in _tags(c) for p in NOTEBOOKS for c in _cells(p)
                 if c["cell_type"] == "code")
    assert tagged >= 100, f"only {tagged} cells are compared exactly; tables and checks should be"


INLINE = re.compile(r"\{eval\}`([^`]+)`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_numbers_read_in_jupyterlab_and_on_the_site(path):
    """Numbers in the prose are MyST inline expressions, ``{eval}`glued("name:.1f")` ``, which
    jupyterlab-myst evaluates in the reader's kernel; myst-nb's ``{glue:...}`` roles, which
    JupyterLab shows as their bare names, are not used. Every expression quotes a glued value, so
    its stored result can be recomputed from the committed outputs (the next test)."""
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        text = _src(cell)
        assert "{glue" not in text, f"markdown cell {i} uses a {{glue}} role; use {{eval}}`glued(...)`"
        if INLINE.search(text):
            assert any("glued" in _src(c) and "import" in _src(c)
                       for c in _cells(path)[:i] if c["cell_type"] == "code"), (
                f"cell {i} quotes a number before any cell imports glued: JupyterLab would "
                "show an error there during Run all")
        for expr in INLINE.findall(text):
            assert re.fullmatch(r"""glued\((["'])[^"']+\1\)""", expr), (
                f"markdown cell {i}: {{eval}}`{expr}` should quote a glued value, glued('name:format')")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_prose_numbers_are_those_of_the_committed_run(path):
    """Each markdown cell stores the results of its inline expressions (``user_expressions``,
    shown by JupyterLab before the notebook runs and by the website), and they are exactly the
    glued values of the committed outputs, formatted: an edit of the prose or a re-run by another
    tool that leaves them stale fails here. Fix with ``python -m booktools.execute`` (or
    ``--from-outputs`` when only the wording changed)."""
    from booktools import inline

    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        expected = inline.results_from_outputs(nb, cell, notebook_dir=path.parent)
        stored = inline.stored(cell)
        n = max(len(stored), len(expected))
        pairs = zip(stored + [None] * n, expected + [None] * n, strict=False)
        first = next(((s, e) for s, e in pairs if s != e), None)
        assert stored == expected, (
            f"markdown cell {i}: stored inline results differ from the committed outputs "
            f"(stored, expected: {first}); run python -m booktools.execute on it")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_citations_read_in_jupyterlab_and_match_the_bibliography(path):
    """A citation is a link that reads as on the site, ``[Han et al. (2015)](url "cite:t key")``
    (JupyterLab has no bibliography to resolve a ``{cite}`` role); the site turns it back into the
    role. Its text and address must be those generated from references.bib
    (``python -m booktools.cite`` writes them), and it must fit on one line of the source, where
    the site's conversion finds it."""
    from booktools import cite

    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        text = _src(cell)
        assert not cite.ROLE.search(text), (
            f"markdown cell {i} has a {{cite}} role; run python -m booktools.cite on the notebook")
        found = cite.citations(text)
        assert text.count('"cite:') == len(found), (
            f"markdown cell {i}: a citation link is malformed or broken across lines")
        for shown, url, kind, keys in found:
            expected = cite.link(kind, keys)
            assert f'[{shown}]({url} "cite:{kind} {",".join(keys)}")' == expected, (
                f"markdown cell {i}: {shown!r} should read {expected}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_references_to_figures_and_exercises_say_where_they_are(path):
    """``{numref}`fig-x` `` shows a bare label in JupyterLab; the notebooks write
    ``[the figure below](#fig-x "numref")`` instead (the site turns it back into the role). The
    words must be those ``python -m booktools.crossref`` generates from where the target is."""
    from booktools import crossref

    index = crossref._chapters()
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        text = _src(cell)
        assert not crossref.ROLE.search(text), (
            f"markdown cell {i} has a {{numref}}/{{ref}} role without text; run "
            "python -m booktools.crossref on the notebook")
        for shown, label, role, pos in crossref.links(text):
            expected = crossref.link(role, label, path, i, text, pos, index)
            assert f'[{shown}](#{label} "{role}")' == expected, (
                f"markdown cell {i}: {shown!r} should now read {expected}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_references_cell_lists_the_sources_for_jupyterlab(path):
    """JupyterLab cannot show ``{bibliography}``: the references cell also lists the sources the
    notebook cites (the site removes the list and shows its own), as booktools.cite writes it."""
    from booktools import cite

    cells = _cells(path)
    keys = cite.cited_keys(cells)
    refs = [c for c in cells if c["cell_type"] == "markdown" and "```{bibliography}" in _src(c)]
    if not keys:
        return
    assert len(refs) == 1, "one references cell, with the {bibliography} directive"
    assert _src(refs[0]) == cite.with_sources(_src(refs[0]), keys), (
        "the list of sources is missing or out of date: run python -m booktools.cite on it")
