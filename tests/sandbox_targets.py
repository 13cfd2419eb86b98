"""Task functions the sandbox tests run inside page processes (importable by spawned children)."""

from __future__ import annotations

import gc
import os
import time

from docworker import errors


def echo(value):
    return value


def gc_threshold(_):
    return gc.get_threshold()


def sleep_then(value):
    seconds, result = value
    time.sleep(seconds)
    return result


def crash(_):
    os._exit(3)


def hog_memory(megabytes):
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def typed_error(_):
    raise errors.CorruptDocument("bad bytes")


def foreign_error(_):
    raise KeyError("secret document text")


def pid(_):
    return os.getpid()


def connect_out(port):
    """Try to reach 127.0.0.1:``port``; page processes refuse it (``netguard.block_all``)."""
    import socket

    with socket.socket() as sock:
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return "refused"
    return "connected"


def wait_or_signal(value):
    """``("wait", path)``: wait up to 20 s for ``path`` to exist, then say whether it did;
    ``("signal", path)``: create it."""
    what, path = value
    if what == "signal":
        open(path, "w").close()
        return "signalled"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return "saw it"
        time.sleep(0.02)
    return "gave up"
