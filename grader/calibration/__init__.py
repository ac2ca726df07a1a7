"""Calibration (trusted side): what "accurate enough" means, measured on the reference.

``store`` (calibrations on disk, their keys, which one a batch uses), ``measuring`` (the
reference trained through the grading path, seed by seed), ``relation`` (how the quick
budget's accuracy relates to the standard one's).
"""
