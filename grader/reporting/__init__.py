"""Reporting (trusted side): every way a result leaves the grader.

``results`` (result.json and the gradebook, written atomically, reused on a re-run),
``publish`` (where each finished result goes), ``terminal`` and ``printed`` (what the
person running the grader reads), ``html`` and ``plots`` with ``templates/`` (pages that
open offline, rendered with autoescaping), ``notebook`` (executed.ipynb), ``pdf``,
``exports`` (Gradescope, JUnit, GitHub), ``lms`` (Canvas, rosters), ``similarity``.
"""
