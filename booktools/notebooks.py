"""Reading and writing the course's notebooks, and the command line of the tools that do it.

Notebooks are written as nbformat writes them (one-space indent, sorted keys, UTF-8, a final
newline), so that a tool that changes one cell leaves a one-cell diff.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write(path: Path, nb: dict) -> None:
    Path(path).write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                          encoding="utf-8")


def arguments(prog: str, description: str, argv: list[str] | None = None,
              options=None) -> argparse.Namespace:
    """Parse ``NOTEBOOK ...`` (and ``options(parser)``'s arguments); refuse what is not a
    notebook file with a clear message."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    parser.add_argument("notebooks", nargs="+", type=Path)
    if options is not None:
        options(parser)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"{path} is not a notebook file")
    return args
