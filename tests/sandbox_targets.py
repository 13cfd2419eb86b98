"""Task functions the sandbox tests run inside page processes (importable by spawned children)."""

from __future__ import annotations

import os
import time

from docworker import errors


def echo(value):
    return value


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
