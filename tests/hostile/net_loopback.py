"""Connects to a listener the test started on the host's 127.0.0.1."""

import socket

try:
    with socket.create_connection(("127.0.0.1", {{PORT}}), timeout=3) as s:
        s.sendall(b"LEAK")
    print("ATTACK-SUCCEEDED: connected to the host")
except OSError as exc:
    print(f"NET-BLOCKED: {exc}")
