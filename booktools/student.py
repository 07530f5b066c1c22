"""Build the student edition of the course's notebooks (``make student``).

The book's notebooks carry everything: solutions, the hidden claim checks that keep the text
honest, and the outputs of a full run. A student needs the questions without the answers. For
each notebook this module

* removes every cell tagged ``solution`` (nbconvert's ``TagRemovePreprocessor``), except that a
  solution cell whose metadata holds a starter (``metadata.dlimits.starter``) is replaced by that
  starter: the task, the names to define and ``raise NotImplementedError`` where the student
  writes code, tagged ``raises-exception`` so that *Run all* goes on past it;
* keeps the exercise's check cell (tagged ``exercise-check``, hidden on the website), which
  tells the student "passed" or what is still wrong (:func:`dlimits.exercises.check`);
* deletes every statement that calls ``claim`` — ``claim(...)``, ``dlimits.claim(...)``, an
  alias — (the book's hidden checks state the results a student is asked to predict; see
  :func:`strip_claims`) and drops cells left with nothing but comments;
* clears every output (nbconvert's ``ClearOutputPreprocessor``), so that a prediction comes
  before the result;
* writes each exercise's level and minutes (from ``backmatter/teaching.yml``, see
  :mod:`booktools.teaching`) as the first line of the exercise, as the website shows them.

Run ``python -m booktools.student OUTDIR NOTEBOOK...``; the Makefile also copies the ``dlimits``
package and the pinned requirements next to the notebooks.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor

STARTER_TAG = "starter"
CHECK_TAG = "exercise-check"
SOLUTION_TAG = "solution"
#: tags whose meaning is the website's or the test suite's, not the student's
SITE_TAGS = {"remove-cell", "remove-input", "remove-output", "hide-input", "hide-output",
             "nbval-ignore-output", "nbval-skip", "nbval-check-output"}


CLAIM = "claim"
#: fields of a compound statement that hold blocks of statements
_BLOCKS = ("body", "orelse", "finalbody")
_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match,
             *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


_KEYWORDS = {"If": "if", "For": "for", "AsyncFor": "async for", "While": "while", "With": "with",
             "AsyncWith": "async with", "Try": "try", "TryStar": "try", "FunctionDef": "def",
             "AsyncFunctionDef": "async def", "ClassDef": "class", "Match": "match"}


def _is_claim_func(func: ast.expr, names: set[str]) -> bool:
    """``claim``, an alias of it, or any attribute ``.claim`` (``dlimits.claim``, ...)."""
    return ((isinstance(func, ast.Name) and func.id in names)
            or (isinstance(func, ast.Attribute) and func.attr == CLAIM))


def _claim_calls(node: ast.AST | list, names: set[str]) -> list[ast.Call]:
    nodes = node if isinstance(node, list) else [node]
    return [n for top in nodes if isinstance(top, ast.AST) for n in ast.walk(top)
            if isinstance(n, ast.Call) and _is_claim_func(n.func, names)]


def claim_names(tree: ast.AST, known: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """The names that call ``claim`` in ``tree``: ``claim`` itself, the aliases its imports give
    it (``from dlimits.claims import claim as c``) and plain re-bindings (``c = claim``,
    ``c = dlimits.claim``), besides the names in ``known``."""
    names = {CLAIM, *known}
    while True:
        before = len(names)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names.update(a.asname or a.name for a in node.names if a.name == CLAIM)
            elif (isinstance(node, ast.Assign)
                  and isinstance(node.value, ast.Name | ast.Attribute)
                  and _is_claim_func(node.value, names)):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if len(names) == before:
            return names


def _header(stmt: ast.stmt) -> list:
    """The parts of a compound statement outside its blocks (condition, iterable, decorators,
    exception types, ...)."""
    parts: list = []
    for field, value in ast.iter_fields(stmt):
        if field in _BLOCKS:
            continue
        if field in ("handlers", "cases"):
            for clause in value:
                parts += [v for f, v in ast.iter_fields(clause) if f != "body"]
        else:
            parts.append(value)
    return [p for part in parts for p in (part if isinstance(part, list) else [part])]


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [getattr(stmt, f) for f in _BLOCKS if getattr(stmt, f, None)]
    for clause in getattr(stmt, "handlers", []) + getattr(stmt, "cases", []):
        blocks.append(clause.body)
    return blocks


class _Source:
    """The cell's text as UTF-8 bytes, addressed like the ``ast`` (1-based lines, byte columns)."""

    def __init__(self, source: str):
        self.data = source.encode("utf-8")
        self.starts = [0] + [m.end() for m in re.finditer(rb"\r\n|\r|\n", self.data)]

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def line_start(self, line: int) -> int:
        return self.starts[line - 1]

    def line_end(self, line: int) -> int:
        """Offset just past the end of ``line``, its line break included."""
        return self.starts[line] if line < len(self.starts) else len(self.data)

    def segment(self, node: ast.AST) -> bytes:
        return self.data[self.offset(node.lineno, node.col_offset):
                         self.offset(node.end_lineno, node.end_col_offset)]


def _groups(body: list[ast.stmt]) -> list[list[ast.stmt]]:
    """The statements of a block, grouped by the lines they share (``a = 1; claim(...)``)."""
    groups: list[list[ast.stmt]] = []
    for stmt in body:
        if groups and stmt.lineno == groups[-1][-1].end_lineno:
            groups[-1].append(stmt)
        else:
            groups.append([stmt])
    return groups


def _edits(body: list[ast.stmt], src: _Source, names: set[str], *, module: bool
           ) -> list[tuple[int, int, bytes]]:
    """(start, end, replacement) byte edits that remove the claims of ``body`` and below."""
    edits: list[tuple[int, int, bytes]] = []
    dropped = set()
    for stmt in body:
        if isinstance(stmt, _COMPOUND):
            calls = _claim_calls(_header(stmt), names)
            if calls:
                keyword = _KEYWORDS.get(type(stmt).__name__, type(stmt).__name__)
                raise ValueError(
                    f"a claim on line {calls[0].lineno} sits in the header of a `{keyword}` "
                    "statement (its condition, iterable, decorators, ...), which cannot be "
                    "removed without its block; write claims as statements of their own.")
            for block in _blocks(stmt):
                edits += _edits(block, src, names, module=False)
        elif _claim_calls(stmt, names):
            dropped.add(id(stmt))
    if not dropped:
        return edits
    emptied = len(dropped) == len(body) and not module
    for n, group in enumerate(_groups(body)):
        if not any(id(s) in dropped for s in group):
            continue
        start = src.offset(group[0].lineno, group[0].col_offset)
        end = src.offset(group[-1].end_lineno, group[-1].end_col_offset)
        kept = [s for s in group if id(s) not in dropped]
        if kept:  # statements sharing the line stay, verbatim, in their order
            edits.append((start, end, b"; ".join(src.segment(s) for s in kept)))
            continue
        first_line = src.line_start(group[0].lineno)
        starts_line = not src.data[first_line:start].strip()
        rest = src.data[end:src.line_end(group[-1].end_lineno)].strip().lstrip(b";").strip()
        if (emptied and n == 0) or not starts_line or (rest and not rest.startswith(b"#")):
            edits.append((start, end, b"pass"))   # a block keeps a statement
        else:  # the lines hold nothing else: remove them whole
            edits.append((first_line, src.line_end(group[-1].end_lineno), b""))
    return edits


def strip_claims(source: str, *, aliases: set[str] | frozenset[str] = frozenset()) -> str:
    """Remove every statement that calls ``claim``, keeping every other statement verbatim.

    A call counts however ``claim`` is reached: ``claim(...)``, ``dlimits.claim(...)``,
    ``claims.claim(...)`` (any attribute named ``claim``), an alias imported in ``source``
    (``from dlimits.claims import claim as c``) or given in ``aliases`` (names bound elsewhere
    in the notebook). A statement is removed when a claim is called anywhere in it
    (``print(claim(...))``, ``ok = claim(...)``, a claim inside a comprehension); statements
    sharing its line (``x = 1; claim(...)``) stay. A block (the body of an ``if``, a loop, a
    function) left empty gets ``pass``. The result is checked to parse and to call no claim;
    a claim in the header of a compound statement (``if claim(...):``) cannot be removed and is
    refused with a ``ValueError``. A source without claims comes back unchanged.

    >>> print(strip_claims("x = 1\\nclaim(x > 0,\\n      'positive', x=x)\\ny = 2"))
    x = 1
    y = 2
    >>> print(strip_claims("if x:\\n    claim(x, 'x')\\ny = 2"))
    if x:
        pass
    y = 2
    >>> print(strip_claims("x = 1; dlimits.claim(x > 0, 'positive')  # checked\\ny = 2"))
    x = 1  # checked
    y = 2
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be the code of a cell, a string, got "
                        f"{type(source).__name__}.")
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ValueError(f"source (a code cell) does not parse, so its claims cannot be "
                         f"removed: {err}") from err
    names = claim_names(tree, set(aliases))
    src = _Source(source)
    edits = sorted(_edits(tree.body, src, names, module=True))
    if not edits:
        return source
    out, pos = [], 0
    for start, end, replacement in edits:
        if start < pos:
            raise ValueError("overlapping edits while removing claims")  # a bug of this module
        out += [src.data[pos:start], replacement]
        pos = end
    out.append(src.data[pos:])
    result = b"".join(out).decode("utf-8").strip("\r\n")
    try:  # never hand a student code that does not parse, or that still states a claim
        left = _claim_calls(ast.parse(result), claim_names(ast.parse(result), names))
    except SyntaxError as err:
        raise ValueError(f"removing the claims left code that does not parse: {err}") from err
    if left:
        raise ValueError(f"a claim on line {left[0].lineno} could not be removed.")
    return result


def claim_aliases(cells: list[str]) -> set[str]:
    """Every name bound to ``claim`` in any of ``cells`` that parses (for :func:`strip_claims`'
    ``aliases``: an alias imported in one cell and used in another)."""
    names: set[str] = set()
    for source in cells:
        try:
            names |= claim_names(ast.parse(source))
        except SyntaxError:
            continue
    return names - {CLAIM}


def _calls_claim_text(source: str, names: set[str]) -> bool:
    """Whether ``source`` may call a claim: cheap text test before parsing."""
    pattern = r"(\.\s*claim|\b(?:" + "|".join(map(re.escape, sorted(names | {CLAIM}))) + r"))\s*\("
    return re.search(pattern, source) is not None


def _only_comments(source: str) -> bool:
    return all(not line.strip() or line.strip().startswith("#") for line in source.splitlines())


_EXERCISE_HEAD = re.compile(r"(```\{exercise\}[^\n]*\n(?::[a-z-]+:[^\n]*\n)*?:label: (\S+)\n"
                            r"(?::[a-z-]+:[^\n]*\n)*)\n?")


def mark_levels(markdown: str, levels: dict[str, tuple[int, int]]) -> str:
    """Put ``Level n of 3 · about m min`` at the top of every exercise with a known label."""
    from .teaching import level_line

    def add(match: re.Match) -> str:
        label = match.group(2)
        if label not in levels:
            return match.group(0)
        return f"{match.group(1)}\n*{level_line(*levels[label])}*\n\n"

    return _EXERCISE_HEAD.sub(add, markdown)


def student_notebook(nb: nbformat.NotebookNode,
                     levels: dict[str, tuple[int, int]] | None = None) -> nbformat.NotebookNode:
    """Return the student edition of one notebook (the argument is not modified).

    ``levels`` maps exercise labels to (level, minutes), written at the top of each exercise.
    """
    nb = copy.deepcopy(nb)
    aliases = claim_aliases([c.source for c in nb.cells if c.cell_type == "code"])
    cells = []
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        starter = cell.metadata.get("dlimits", {}).get("starter")
        if SOLUTION_TAG in tags:
            if starter is None:
                continue
            if cell.cell_type != "code":
                raise ValueError("a starter belongs on a code solution cell, not on a "
                                 f"{cell.cell_type} cell:\n{cell.source[:200]}")
            new = nbformat.v4.new_code_cell(starter.strip("\n"))
            new.metadata["tags"] = [STARTER_TAG, "raises-exception"]
            cells.append(new)
            continue
        if cell.cell_type == "code":
            if CHECK_TAG in tags:
                cell.metadata["tags"] = [CHECK_TAG]
                cells.append(cell)
                continue
            if _calls_claim_text(cell.source, aliases):
                cell.source = strip_claims(cell.source, aliases=aliases)
                if _only_comments(cell.source):
                    continue
        if cell.cell_type == "markdown" and levels:
            cell.source = mark_levels(cell.source, levels)
        kept = [t for t in tags if t not in SITE_TAGS]
        if kept:
            cell.metadata["tags"] = kept
        else:
            cell.metadata.pop("tags", None)
        cells.append(cell)
    nb.cells = cells
    nb, _ = ClearOutputPreprocessor().preprocess(nb, {})
    # the solutions' markdown is removed above; this catches any tagged cell left over
    remover = TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}, enabled=True)
    nb, _ = remover.preprocess(nb, {})
    return nb


def build(notebooks: list[Path], outdir: Path, root: Path) -> list[Path]:
    """Write the student edition of each notebook under ``outdir``, keeping paths below ``root``."""
    from . import teaching

    levels = teaching.exercise_levels() if teaching.DATA.exists() else {}
    written = []
    for path in notebooks:
        path = Path(path)
        target = Path(outdir) / path.resolve().relative_to(Path(root).resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(path, as_version=4)
        nbformat.write(student_notebook(nb, levels), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("notebooks", type=Path, nargs="+")
    parser.add_argument("--root", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    for path in build(args.notebooks, args.outdir, args.root):
        print(f"  {path}")


if __name__ == "__main__":
    main()
