"""Entry point of a sandboxed run: ``python -m grader.inside JOB.json``."""

import sys

from grader.inside.harness import main

main(sys.argv[1])
