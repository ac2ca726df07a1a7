"""Fills its work folder: up to 4 GB in 1 MB writes."""

chunk = b"\0" * 2**20
with open("filler.bin", "wb") as f:
    for _ in range(4096):
        f.write(chunk)
