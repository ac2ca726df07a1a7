"""Entry point of a sandboxed stage: ``python -m grader.inside student|trainer JOB.json``."""

import sys

from grader.inside import common, protocol

stage, job = sys.argv[1], sys.argv[2]
if stage == protocol.STUDENT:
    from grader.inside.student import run
else:
    from grader.inside.trainer import run
common.main(run, job)
