# Tries to change the grader's pretrained weights cache, and prints what happened.
import os
import shutil
from pathlib import Path

keras_home = Path(os.environ["KERAS_HOME"])
models = keras_home / "models"
files = sorted(os.listdir(models))
print("KERAS_HOME writable:", os.access(keras_home, os.W_OK))
print("cache holds:", files)
target = models / files[0]
attempts = {
    "create": lambda: (models / "planted.h5").write_bytes(b"x"),
    "overwrite": lambda: target.open("r+b").write(b"x"),
    "delete": lambda: target.unlink(),
    "chmod": lambda: target.chmod(0o666),
    "rename folder": lambda: models.rename(keras_home / "elsewhere"),
    "remove folder": lambda: shutil.rmtree(models),
}
for name, attempt in attempts.items():
    try:
        attempt()
        print(f"{name}: WRITTEN")
    except OSError as exc:
        print(f"{name}: refused ({exc.strerror})")
