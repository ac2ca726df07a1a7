"""Tries to write outside its work folder: host /tmp, home, the grader package, the
output folder, the data."""

for path in (
    "/tmp/../tmp/{{MARKER}}",
    "{{HOME}}/{{MARKER}}",
    "{{PKG}}/{{MARKER}}.py",
    "{{OUT}}/{{MARKER}}",
    "/data/{{MARKER}}",
    "/{{MARKER}}",
):
    try:
        with open(path, "w") as f:
            f.write("pwned")
        print(f"WROTE: {path}")
    except OSError as exc:
        print(f"WRITE-BLOCKED: {path}: {type(exc).__name__}")
