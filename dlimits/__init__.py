"""dlimits — the helper package of the course *The Limits of Deep Learning*.

The lesson of each chapter lives in its notebook; this package holds the plumbing several
chapters share:

* :mod:`dlimits.data` — offline datasets with fixed splits, generated teacher–student tasks
* :mod:`dlimits.models` — small model builders
* :mod:`dlimits.baselines` — the two trained MNIST-5k models Part III starts from
* :mod:`dlimits.train` — a compact training loop recording loss, error, time and FLOPs
* :mod:`dlimits.measure` — parameters, FLOPs, size on disk, latency, the machine's roofline
* :mod:`dlimits.fit` — power laws and lines with bootstrap intervals
* :mod:`dlimits.plot` — the course's figure style
* :mod:`dlimits.runtime` — seeding, device choice, the notebook's cost ledger
* :mod:`dlimits.claims` — the text's claims, checked: strict under the tests, a note for a reader
* :mod:`dlimits.compress` — the techniques of Part III that the synthesis reuses (pruning,
  quantization, low-rank factorisation, the distillation loss)
* :mod:`dlimits.bill` — FLOPs to GPU-hours, money, energy and CO₂, and how progress moves a bill
* :mod:`dlimits.exercises` — the checks a student runs after an exercise

* :mod:`dlimits.prose` — the values the text quotes: ``glue`` in code, ``{eval}`glued(...)` `` in
  the markdown

How the book itself is made (the website's Sphinx extension, the student edition, the teaching
plans, the PDF) is not part of this package: see ``booktools/`` at the root of the course.
"""

from . import baselines, claims, data, fit, measure, models, plot, runtime, train
from .claims import claim
from .runtime import cost_report, get_device, notebook_setup, seed_everything, start_ledger

__version__ = "0.1.0"

__all__ = [
    "baselines", "claim", "claims", "data", "fit", "measure", "models", "plot", "runtime", "train",
    "cost_report", "get_device", "notebook_setup", "seed_everything", "start_ledger",
]
