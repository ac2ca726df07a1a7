"""Messages between a grader and its warm parent: one JSON object per packet of a
``SOCK_SEQPACKET`` connection, with descriptors passed alongside (``SCM_RIGHTS``)."""

from __future__ import annotations

import array
import contextlib
import json
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

MAX_MESSAGE = 2**22  # a request names every mount and variable of a stage
MAX_FDS = 4


def send(sock: socket.socket, message: dict, fds: list[int] = ()) -> None:
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([json.dumps(message).encode()], ancillary)


def receive(sock: socket.socket) -> tuple[dict | None, list[int]]:
    """The next message and the descriptors that came with it; None when the other side
    closed."""
    data, ancillary, _, _ = sock.recvmsg(MAX_MESSAGE, socket.CMSG_SPACE(MAX_FDS * 4))
    fds = array.array("i")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return (json.loads(data) if data else None), list(fds)


def peer_uid(sock: socket.socket) -> int:
    """The user of the process at the other end, as the kernel saw it connect."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


@contextlib.contextmanager
def address(path: Path) -> Iterator[str]:
    """A name for the socket at ``path`` short enough for AF_UNIX (108 bytes), however
    deep its folder: through a descriptor of the folder."""
    folder = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)
