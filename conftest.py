"""Settings for every pytest run of the course (unit tests, nbval kernels, site tests).

Under the tests a claim of the text that turns out false must fail the run, not print a note
for a reader: ``DLIMITS_STRICT=1`` switches :func:`dlimits.claim` to strict mode. nbval's
kernels inherit the environment of this process, so the notebooks run strict too.
"""

import os

os.environ.setdefault("DLIMITS_STRICT", "1")
