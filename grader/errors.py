"""Errors the grader reports to the person running it (not to students)."""


class UsageError(Exception):
    """Bad command line, data or assignment spec: shown in one line, exit status 2."""


class GraderFault(Exception):
    """The grader cannot go on (say, its cluster was lost): one line, exit status 1;
    every result finished so far is kept, and running again resumes."""
