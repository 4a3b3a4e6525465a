"""Wrong guesses counted per target (a tracking reference, an account), whatever address
they come from, with a wait that doubles after each guess past a few free ones.

A per-address limit alone lets many addresses share the work; a count on the target
does not. The counts live in the rate limiter's storage (Redis in production, memory
in the embedded default), so every gunicorn worker sees the same count and no table
is written on each guess; they expire by themselves."""
import logging
import math
import time
from dataclasses import dataclass

from flask import current_app

from .extensions import limiter
from .rate_storage import LazyExpiryMemoryStorage

_local = LazyExpiryMemoryStorage()


def now() -> float:
    return time.time()


def _run(operation):
    """Run on the limiter's storage; with Redis away, on this process's memory, as the
    limiter itself falls back (the limit then holds per worker rather than not at all).
    With rate limiting switched off (RATELIMIT_ENABLED=0) the limiter has no storage:
    this process's memory, without a warning per guess."""
    if not limiter.enabled:
        return operation(_local)
    try:
        return operation(limiter.limiter.storage)
    except Exception as error:  # redis-py's errors differ by version; any of them means "away"
        logging.getLogger(__name__).warning("backoff storage unreachable: %s", type(error).__name__)
        return operation(_local)


@dataclass(frozen=True)
class Backoff:
    name: str
    free: int  # wrong guesses heard before the first wait, which follows the last of them
    first_wait: int  # seconds; doubled by each further wrong guess
    longest_wait: int
    remembered: int = 24 * 3600  # seconds a run of wrong guesses is remembered

    def _keys(self, target: str) -> tuple[str, str]:
        # Under the rate limits' own prefix: deployments sharing one Redis keep apart.
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
        base = f"{prefix}volunteer-backoff:{self.name}:{target}"
        return base + ":failures", base + ":until"

    def wait_left(self, target: str) -> int:
        """Seconds before a guess for `target` is heard again; 0 means now."""
        until = _run(lambda storage: storage.get(self._keys(target)[1]))
        return max(0, math.ceil(until - now())) if until else 0

    def failed(self, target: str) -> None:
        failures_key, until_key = self._keys(target)
        failures = _run(lambda storage: storage.incr(failures_key, self.remembered))
        past_free = failures - self.free
        if past_free < 0:
            return
        wait = min(self.first_wait * 2 ** min(past_free, 32), self.longest_wait)
        until = int(now()) + wait

        def wait_until(storage):
            # The key holds the end of the wait; it expires by itself soon after.
            storage.clear(until_key)
            storage.incr(until_key, wait + 60, amount=until)

        _run(wait_until)

    def forget(self, target: str) -> None:
        for key in self._keys(target):
            _run(lambda storage, key=key: storage.clear(key))


def minutes(seconds: int) -> int:
    """A wait said in whole minutes, never "0 minutes"."""
    return max(1, math.ceil(seconds / 60))
