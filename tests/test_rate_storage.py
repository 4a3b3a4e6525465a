"""The in-process rate-limit storage (no Redis): counts and expiries as limits' own
memory storage keeps them, without a thread per increment."""
from __future__ import annotations

import threading
import time

from limits import parse
from limits.storage import memory, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from volunteer.rate_storage import LazyExpiryMemoryStorage


def test_the_embedded_default_counts_in_this_storage(app):
    from volunteer.extensions import limiter

    assert isinstance(limiter.limiter.storage, LazyExpiryMemoryStorage)
    assert isinstance(storage_from_string("lazy-memory://"), LazyExpiryMemoryStorage)


def test_limits_hold_and_expire_without_starting_threads(monkeypatch):
    storage = LazyExpiryMemoryStorage()
    fixed, moving = FixedWindowRateLimiter(storage), MovingWindowRateLimiter(storage)
    per_second = parse("3 per 1 second")
    timers = []
    monkeypatch.setattr(memory.threading, "Timer", lambda *a, **k: timers.append(a) or threading.Timer(*a, **k))

    assert [fixed.hit(per_second, "form", "10.0.0.1") for _ in range(4)] == [True] * 3 + [False]
    assert fixed.hit(per_second, "form", "10.0.0.2")  # another address, its own count
    assert [moving.hit(per_second, "login", "a") for _ in range(4)] == [True] * 3 + [False]
    assert timers == []

    time.sleep(1.1)
    assert fixed.hit(per_second, "form", "10.0.0.1")
    assert moving.hit(per_second, "login", "a")
    assert timers == []


def test_keys_nobody_reads_again_are_forgotten_by_the_sweep():
    storage = LazyExpiryMemoryStorage()
    storage.sweep_seconds = 0.5
    fixed = FixedWindowRateLimiter(storage)
    for n in range(200):
        fixed.hit(parse("5 per 1 second"), "form", f"10.1.0.{n}")
    assert storage.keys_held() == 200

    time.sleep(1.1)
    fixed.hit(parse("5 per 1 second"), "form", "10.2.0.1")  # the increment that sweeps
    assert storage.keys_held() == 1
