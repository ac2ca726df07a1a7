"""Errors the grader reports to the person running it (not to students)."""


class UsageError(Exception):
    """Bad command line, data or assignment spec: shown in one line, exit status 2."""
