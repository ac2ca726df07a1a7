"""Running submissions (trusted side): each submission's two stages in a sandbox, here
or on a cluster worker, watched for their limits and ended with their process tree.

``stages`` (one submission's student and trainer stages), ``sandbox`` (choosing the
path, bubblewrap's command line, supervision), ``stage_root`` (what a stage's root is
made of), ``warm/`` (stages forked from a parent that imported TensorFlow once),
``cluster`` and ``worker`` (the same stages on Dask workers), ``machine`` (what a grade
is measured on), ``pretrained`` (the weights a stage may read).
"""
