"""grader: an automated, sandboxed grader for deep-learning assignments.

The package splits like the pipeline: ``collect`` finds submissions, ``sandbox``
starts a confined subprocess, ``inside/`` is the only code that runs in it,
``checks`` and ``scoring`` judge what comes back, ``results`` writes it down.
Nothing outside ``inside/`` imports TensorFlow or submission code.
"""

__version__ = "0.2.0"
