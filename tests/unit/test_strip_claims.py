"""``booktools.student.strip_claims``: the student edition keeps no claim, however it is written.

Every form a chapter may use to state a claim is removed — a bare ``claim``, ``dlimits.claim``,
``claims.claim``, an alias, a claim inside another expression — and exactly that statement goes:
statements sharing its line stay, verbatim, and the result parses. The test over the built
edition is ``tests/test_student.py::test_the_edition_has_no_answers``.
"""

import ast

import pytest

from booktools import student


def calls_claim(source: str, aliases=()) -> bool:
    names = {"claim", *aliases}
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname for a in node.names if a.name == "claim" and a.asname)
    return any(isinstance(n, ast.Call) and ((isinstance(n.func, ast.Name) and n.func.id in names)
                                            or (isinstance(n.func, ast.Attribute)
                                                and n.func.attr == "claim"))
               for n in ast.walk(tree))


FORMS = [
    ("bare", "x = 1\nclaim(x > 0, 'positive', x=x)\ny = 2", "x = 1\ny = 2"),
    ("dlimits.claim", "x = 1\ndlimits.claim(x > 0, 'positive')\ny = 2", "x = 1\ny = 2"),
    ("claims.claim", "x = 1\nclaims.claim(x > 0, 'positive')", "x = 1"),
    ("any attribute .claim", "import dlimits as dl\ndl.claim(True, 'p')", "import dlimits as dl"),
    ("multi-line", "x = 1\ndlimits.claim(\n    x > 0,\n    'positive', x=x)\ny = 2",
     "x = 1\ny = 2"),
    ("print(claim(...))", "x = 1\nprint(claim(x > 0, 'positive'))", "x = 1"),
    ("inside an expression", "x = 1\n[claim(v > 0, 'p') for v in (x,)]\ny = 2",
     "x = 1\ny = 2"),
    ("assigned", "x = 1\nok = claim(x > 0, 'p')\ny = 2", "x = 1\ny = 2"),
    ("shares a line, after", "x = 1; claim(x > 0, 'p')\ny = 2", "x = 1\ny = 2"),
    ("shares a line, before", "claim(True, 'p'); x = 1", "x = 1"),
    ("shares a line, between", "a = 1; dlimits.claim(a, 'p'); b = 2", "a = 1; b = 2"),
    ("shares a line, comment kept", "a = 1; claim(a, 'p')  # note\nb = 2", "a = 1  # note\nb = 2"),
    ("multi-line statement before it", "x = (1,\n     2); claim(True,\n  'p'); y = 3",
     "x = (1,\n     2); y = 3"),
    ("alias imported", "from dlimits.claims import claim as c\nc(True, 'p')\nx = 1",
     "from dlimits.claims import claim as c\nx = 1"),
    ("alias from dlimits", "from dlimits import claim as check_that\ncheck_that(True, 'p')",
     "from dlimits import claim as check_that"),
    ("alias re-bound", "say = dlimits.claim\nsay(True, 'p')\nz = 3", "say = dlimits.claim\nz = 3"),
    ("block left empty", "if x:\n    claim(x, 'x')\ny = 2", "if x:\n    pass\ny = 2"),
    ("one-line block", "if x: claim(a, 'p'); claims.claim(b, 'q')\nz = 1", "if x: pass\nz = 1"),
    ("one-line block, kept", "for k in ks: claim(k, 'p'); print(k)", "for k in ks: print(k)"),
    ("else and except", "try:\n    a = 1\nexcept ValueError:\n    claim(0, 'p')\nelse:\n"
     "    dlimits.claim(a, 'q')", "try:\n    a = 1\nexcept ValueError:\n    pass\nelse:\n"
     "    pass"),
    ("function body", "def f():\n    claim(True, 'p')\n    return 1", "def f():\n    return 1"),
    ("non-ASCII on the line", "w = 'ü'; claim(1, 'à × ≥'); v = '≥'", "w = 'ü'; v = '≥'"),
    ("no claim: unchanged", "x = 1  # claim(...) in a comment\n",
     "x = 1  # claim(...) in a comment\n"),
]


@pytest.mark.parametrize("source, expected", [pytest.param(s, e, id=i) for i, s, e in FORMS])
def test_strip_claims_removes_exactly_the_claim(source, expected):
    out = student.strip_claims(source)
    assert out == expected
    ast.parse(out)
    assert not calls_claim(out)


def test_an_alias_from_another_cell():
    assert student.strip_claims("c(True, 'p')\nx = 1", aliases={"c"}) == "x = 1"
    assert student.claim_aliases(["from dlimits.claims import claim as c", "x = 1",
                                  "%timeit x"]) == {"c"}


def test_the_student_edition_removes_an_alias_imported_in_another_cell():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from dlimits.claims import claim as check_that"),
                nbformat.v4.new_code_cell("x = 1; check_that(x > 0, 'x is positive')"),
                nbformat.v4.new_code_cell("check_that(True, 'alone in its cell')")]
    out = student.student_notebook(nb)
    assert [c.source for c in out.cells] == ["from dlimits.claims import claim as check_that",
                                             "x = 1"]


@pytest.mark.parametrize("source", ["if claim(x, 'p'):\n    pass",
                                    "for v in [claim(x, 'p')]:\n    pass",
                                    "@deco(claim(1, 'x'))\ndef f():\n    pass"])
def test_a_claim_in_a_header_is_refused(source):
    with pytest.raises(ValueError, match="header"):
        student.strip_claims(source)


def test_bad_source_is_refused():
    with pytest.raises(TypeError, match="source"):
        student.strip_claims(3)
    with pytest.raises(ValueError, match="does not parse"):
        student.strip_claims("def broken(:\n")
