"""Execute notebooks in place and store the results of the prose's inline expressions.

``python -m booktools.execute NOTEBOOK ...`` (``make execute``) runs every code cell, as
``jupyter nbconvert --execute --inplace`` would, and then evaluates the ``{eval}`...` ``
expressions of every markdown cell in the same kernel — as ``jupyterlab-myst`` does when a reader
renders the cell — and stores the results in the cell's ``user_expressions`` metadata. They are
evaluated after the last code cell, so that a value quoted before the cell that computes it (the
runtime in a chapter's first cell) is the run's, as with myst-nb's ``glue``. An expression that fails stops the run with its error: the text would otherwise show a
traceback where a number belongs.

``python -m booktools.execute --from-outputs NOTEBOOK ...`` runs nothing: it recomputes the stored
results of ``glued("...")`` expressions from the notebook's committed ``glue`` outputs, for a
change of wording that quotes values the committed run already produced.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from booktools import inline, notebooks

TIMEOUT = 300


class InlineExpressionError(RuntimeError):
    """An inline expression of the prose did not evaluate."""


class ProseClient(NotebookClient):
    """A notebook client that also evaluates the inline expressions of markdown cells."""

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        if cell.cell_type != "markdown":
            cell = await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        if cell_index == len(self.nb.cells) - 1:
            # like myst-nb's glue, a quoted value is the one the whole run ends with: the text
            # may quote a result computed further down (the runtime, in a chapter's first cell)
            for index, other in enumerate(self.nb.cells):
                if other.cell_type == "markdown":
                    await self._evaluate_inline(other, index)
        return cell

    async def _evaluate_inline(self, cell, cell_index):
        exprs = inline.expressions(cell.source)
        if not exprs:
            cell.metadata.pop("user_expressions", None)
            return
        request = {str(i): expr for i, expr in enumerate(exprs)}
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions=request)
        reply = await self.async_wait_for_reply(msg_id, cell)
        if reply is None or reply["content"].get("status") != "ok":
            raise InlineExpressionError(f"markdown cell {cell_index}: the kernel did not evaluate "
                                        f"its inline expressions ({reply and reply['content']}).")
        answers = reply["content"]["user_expressions"]
        results = []
        for i, expr in enumerate(exprs):
            result = answers[str(i)]
            if result.get("status") != "ok":
                raise InlineExpressionError(
                    f"markdown cell {cell_index}: {{eval}}`{expr}` failed with "
                    f"{result.get('ename')}: {result.get('evalue')}")
            results.append({"expression": expr, "result": result})
        cell.metadata["user_expressions"] = results


def execute(path: Path, timeout: int = TIMEOUT) -> None:
    """Run ``path`` in place (kernel in the notebook's folder), inline expressions included."""
    nb = nbformat.read(path, as_version=4)
    client = ProseClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                         resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nbformat.write(nb, path)


def fill_from_outputs(path: Path) -> int:
    """Recompute the stored inline results of ``path`` from its committed outputs; return the
    number of markdown cells whose stored results changed."""
    nb = nbformat.read(path, as_version=4)
    changed = 0
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        results = inline.results_from_outputs(nb, cell, notebook_dir=path.parent)
        before = cell.metadata.get("user_expressions")
        if results:
            cell.metadata["user_expressions"] = results
        else:
            cell.metadata.pop("user_expressions", None)
        changed += before != (results or None)
    nbformat.write(nb, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    def options(parser):
        parser.add_argument("--from-outputs", action="store_true",
                            help="recompute stored glued() results from the committed outputs; "
                                 "run nothing")
        parser.add_argument("--timeout", type=int, default=TIMEOUT, help="seconds per cell")

    args = notebooks.arguments("booktools.execute", __doc__.split("\n\n")[0], argv, options)
    for path in args.notebooks:
        if args.from_outputs:
            print(f"{path}: {fill_from_outputs(path)} markdown cell(s) updated")
        else:
            print(f"executing {path}", flush=True)
            execute(path, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
