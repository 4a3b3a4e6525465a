"""The rate limiter's storage in this process, for when there is no Redis (the embedded
default, and tests): limits' own in-memory storage, without its expiry thread.

`limits.storage.MemoryStorage` starts a `threading.Timer` on a counter's increment
whenever the previous timer has fired (10 ms earlier), and each timer walks every key
it holds: under load that is a new thread about a hundred times a second, each walking
every address seen within the longest window (an hour). Counters already expire when
they are read (`get`, which every check calls first), so here the walk that forgets
keys nobody reads again happens inline, at most once a minute.

Registered with limits under the scheme `lazy-memory://` by importing this module.
"""
from __future__ import annotations

import time

from limits.storage import MemoryStorage

SCHEME = "lazy-memory"


class LazyExpiryMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = [SCHEME]
    sweep_seconds = 60.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one timer the base class starts at once
        self._swept_at = time.monotonic()

    # MemoryStorage calls `self.__schedule_expiry()` (name-mangled to this) before each
    # increment and each moving-window entry.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= self.sweep_seconds:
            self._swept_at = now
            self._MemoryStorage__expire_events()

    def keys_held(self) -> int:
        """Counters and moving windows held (expired ones not yet swept included)."""
        return len(self.storage) + len(self.events)
