"""Channels: how a message leaves. A channel has a `name` and
`send(message, app_config) -> None`; it raises one of the failures below, whose
reason is stored and shown to coordinators, so it never holds personal data.

CHANNELS is the registry the worker reads; `register` adds a channel to it.
A channel may define `configured(app_config) -> bool` (no provider set up: see
notifications/unconfigured.py) and `preview(message, app_config) -> (suffix, bytes)`,
the message as its recipient would receive it, for the local delivery.
A channel may also define `forget_recipient(message)`, which the worker calls
(inside its transaction) when the channel raised GoneRecipient.
"""
from __future__ import annotations

from typing import Protocol


class DeliveryFailure(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:200]


class TemporaryFailure(DeliveryFailure):
    """Timeouts, 5xx, rate limits: try again later, with a growing back-off."""


class PermanentFailure(DeliveryFailure):
    """A refusal that will not change on retry (bad number, wrong template)."""


class NotConfigured(DeliveryFailure):
    """The channel has no provider configured (production): the message waits for one."""


class GoneRecipient(PermanentFailure):
    """The recipient is no more (a push subscription answering 404/410)."""


class Channel(Protocol):
    name: str

    def send(self, message, app_config) -> None: ...


CHANNELS: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    CHANNELS[channel.name] = channel
    return channel


# The channels we ship register themselves; imported last, as they import from here.
from . import email, sms, zalo  # noqa: E402,F401
