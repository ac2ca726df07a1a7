"""Reads the environment, hoping for the grader's secrets."""

import os

print("ENV:", dict(os.environ))
print("SECRET:", os.environ.get("{{SECRET_NAME}}"))
