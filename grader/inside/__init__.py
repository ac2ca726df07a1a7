"""Code that runs INSIDE the sandbox, next to the submission, and nowhere else.

It may import TensorFlow and executes untrusted code, so it trusts nothing it
finds and hands back only plain data (JSON and ``.npy``). It imports nothing
from the trusted side of the package.
"""
