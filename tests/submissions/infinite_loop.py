"""Never ends (the grader's wall-time limit must stop it)."""
while True:
    pass
