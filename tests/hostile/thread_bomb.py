"""A bounded thread bomb: up to 5000 sleeping threads."""

import threading
import time

for _ in range(5000):
    threading.Thread(target=time.sleep, args=(300,), daemon=True).start()
