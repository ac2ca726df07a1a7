"""A bounded fork bomb: up to 3000 sleeping children."""

import os
import time

for _ in range(3000):
    if os.fork() == 0:
        time.sleep(300)
        os._exit(0)
