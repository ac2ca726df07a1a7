"""Judging (trusted side): from what a run left behind to points and words.

``verdict`` (what went wrong, for the student), ``hints`` (what Python and Keras raise,
explained), ``checks`` (the spec's rules and the silent traps, against the described
architecture), ``scoring`` (accuracy from the kept labels, the rubric, the total),
``uncertainty`` (more seeds near a threshold, and the quick budget's estimate).
"""
