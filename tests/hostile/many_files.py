"""Creates 100,000 small files."""

import os

os.makedirs("many", exist_ok=True)
for i in range(100_000):
    with open(f"many/{i}.txt", "w") as f:
        f.write("x")
