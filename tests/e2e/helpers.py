"""What end-to-end tests share: bearer headers and waiting for what arrives asynchronously
(events behind the relay, consumers' read models)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def h(token: str) -> dict[str, str]:
    """The Authorization header of ``token``."""
    return {"Authorization": f"Bearer {token}"}


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.2) -> bool:
    """True as soon as ``predicate()`` is; its last answer when ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def eventually(fn: Callable[[], T], timeout: float = 30.0, interval: float = 0.3) -> T:
    """``fn()``'s first truthy answer, or its last one when ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
