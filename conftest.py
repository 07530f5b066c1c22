"""Settings for every pytest run of the course (unit tests, nbval kernels, site tests).

Under the tests a claim of the text that turns out false must fail the run, not print a note
for a reader: ``DLIMITS_STRICT=1`` switches :func:`dlimits.claim` to strict mode. nbval's
kernels inherit the environment of this process, so the notebooks run strict too.

``make test`` runs the suite on two processes (pytest-xdist, ``--dist loadgroup``). The cells of
one notebook share a kernel, and the site tests share one build, so each such file is sent to a
single process as a group; the long independent tests (a reader's edits of one notebook, a
notebook run on its own) are handed out one by one.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DLIMITS_STRICT", "1")

ROOT = Path(__file__).resolve().parent
#: files whose tests are independent of each other and long: scheduled one test at a time
UNGROUPED = {ROOT / "tests" / "test_reader_edits.py", ROOT / "tests" / "test_standalone.py"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        path = Path(item.path).resolve()
        if path in UNGROUPED:
            continue
        group = "site" if (ROOT / "tests" / "book") in path.parents else str(path.relative_to(ROOT))
        item.add_marker(pytest.mark.xdist_group(group))
