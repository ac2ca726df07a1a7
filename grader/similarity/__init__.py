"""Similarity (trusted side): which submissions of a class look copied, by their code
and by their model. Evidence for a person to read, never a verdict: no score depends on it.

Stages, one module each: ``code`` (normalised tokens, winnowing fingerprints), ``model``
(architecture fingerprint, prediction hash), ``sources`` (entries from submissions and
stored results), ``pairs`` (an inverted index, ranked pairs, clusters).
"""
