"""One module per command, imported only when that command runs; ``batch`` is what the
grading ones share, ``fault`` what the command line does when the grader cannot grade."""
