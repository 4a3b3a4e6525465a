"""The outbox and its worker: a message lives and dies with the transaction of its
event; two workers, or a worker that died mid-send, deliver each message once;
temporary failures are retried with a growing back-off, then buried as dead."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import announce_events, make_ticket
from tests.queries import count
from volunteer.clock import utcnow
from volunteer.extensions import db
from volunteer.lifecycle import Action
from volunteer.models import OutboxMessage, Ticket, TicketEvent
from volunteer.notifications import events, outbox, worker
from volunteer.notifications.channels import CHANNELS, PermanentFailure, TemporaryFailure


class RecordingProvider:
    """A provider at the end of a channel: records every delivery key it is handed
    and answers with the failures it was given, in order, then success."""

    name = "test"

    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[str] = []
        self.answers: list[Exception] = []

    def send(self, message, app_config) -> None:
        with self.lock:
            self.received.append(message.delivery_key)
            if self.answers:
                raise self.answers.pop(0)


@pytest.fixture
def provider():
    channel = RecordingProvider()
    CHANNELS[channel.name] = channel
    yield channel
    del CHANNELS[channel.name]


@pytest.fixture
def every_event_heard(provider):
    """An audience that wants a message for every ticket event."""

    def hear(ticket, event):
        outbox.enqueue(channel=provider.name, recipient_key=f"ticket:{ticket.id}",
                       address="somewhere", template="any", params={"action": event.action},
                       ticket_id=ticket.id, event_id=event.id)

    heard_before = set(events.HEARD)
    events.audience(Action)(hear)
    yield
    events.AUDIENCES.pop()
    events.HEARD.clear()
    events.HEARD.update(heard_before)


def _queue(how_many: int) -> list[int]:
    ids = []
    for number in range(how_many):
        message = outbox.enqueue(channel="test", recipient_key=f"user:{number}", address="x",
                                 template="any", params={}, dedupe_key=f"test:{number}")
        ids.append(message.id)
    db.session.commit()
    return ids


def test_a_message_is_written_with_its_event_and_vanishes_on_rollback(ctx, every_event_heard):
    make_ticket("19333")
    db.session.rollback()
    assert count(OutboxMessage) == 0 and count(Ticket) == 0

    ticket = make_ticket("19333")
    db.session.commit()
    created = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    # The request wrote one row for the event; the worker decides who hears of it.
    announce = db.session.scalar(select(OutboxMessage))
    assert (announce.channel, announce.ticket_id, announce.event_id, announce.status) == (
        events.ANNOUNCE, ticket.id, created.id, "pending")
    assert announce_events() == 1
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "test"))
    assert (message.ticket_id, message.event_id, message.status) == (ticket.id, created.id, "pending")
    assert message.dedupe_key == f"{created.id}:ticket:{ticket.id}:test"
    assert db.session.get(OutboxMessage, announce.id).status == "sent"


def test_an_event_announced_twice_makes_its_messages_once(ctx, every_event_heard):
    """A worker that died after expanding an event but before marking it done: the
    next worker expands it again once the lease ends, and adds nothing."""
    make_ticket("19333")
    db.session.commit()
    [announce_id] = worker.claim()
    events.announce(*_ticket_and_event(announce_id))  # ... and that worker is killed here
    db.session.commit()
    later = utcnow() + timedelta(seconds=ctx.config["OUTBOX_LEASE_SECONDS"] + 1)
    assert announce_id in worker.claim(now=later)
    assert worker.deliver(announce_id) == "announced"
    assert count(OutboxMessage, OutboxMessage.channel == "test") == 1


def _ticket_and_event(announce_id: int) -> tuple[Ticket, TicketEvent]:
    announce = db.session.get(OutboxMessage, announce_id)
    return db.session.get(Ticket, announce.ticket_id), db.session.get(TicketEvent, announce.event_id)


def test_a_second_enqueue_with_the_same_key_is_skipped(ctx):
    ticket = make_ticket("19333")
    event_id = ticket.events[0].id
    first = outbox.enqueue(channel="test", recipient_key="user:1", address="x", template="any",
                           params={}, event_id=event_id)
    again = outbox.enqueue(channel="test", recipient_key="user:1", address="y", template="other",
                           params={}, event_id=event_id)
    assert first is not None and again is None
    assert count(OutboxMessage, OutboxMessage.channel == "test") == 1


def test_two_workers_deliver_every_message_exactly_once(app, provider):
    with app.app_context():
        ids = _queue(60)
    claimed: list[list[int]] = [[], []]

    def work(slot):
        with app.app_context():
            while taken := worker.claim(batch=5):
                claimed[slot].extend(taken)
                for message_id in taken:
                    worker.deliver(message_id)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(claimed[0] + claimed[1]) == ids
    assert not set(claimed[0]) & set(claimed[1])
    assert len(provider.received) == len(set(provider.received)) == 60
    with app.app_context():
        assert count(OutboxMessage, OutboxMessage.status == "sent") == 60


def test_a_worker_that_died_mid_send_is_replaced_once_its_lease_ends(ctx, provider):
    [message_id] = _queue(1)
    assert worker.claim() == [message_id]  # ... and that worker is killed here
    assert worker.claim() == []  # the lease still holds
    later = utcnow() + timedelta(seconds=ctx.config["OUTBOX_LEASE_SECONDS"] + 1)
    assert worker.claim(now=later) == [message_id]
    assert worker.deliver(message_id) == "sent"
    message = db.session.get(OutboxMessage, message_id)
    # Sent once, under the key the provider uses to refuse a repeat of the first try.
    assert provider.received == [message.delivery_key]
    assert (message.status, message.attempts, message.leased_until) == ("sent", 2, None)
    assert worker.claim(now=later + timedelta(hours=1)) == []


def test_temporary_failures_back_off_then_the_message_is_dead(make_app, backend, provider):
    app = make_app(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_SECONDS=30)
    if backend == "postgresql":
        from tests.conftest import _reset_postgresql
        _reset_postgresql(app)
    provider.answers = [TemporaryFailure("gateway answered 503")] * 3
    with app.app_context():
        [message_id] = _queue(1)
        delays = []
        for _ in range(3):
            message = db.session.get(OutboxMessage, message_id)
            due_at = message.next_attempt_at
            assert worker.claim(now=due_at) == [message_id]
            worker.deliver(message_id, now=due_at)
            message = db.session.get(OutboxMessage, message_id)
            delays.append(round((message.next_attempt_at - due_at).total_seconds() / 30))
        assert (message.status, message.attempts, message.last_error) == (
            "dead", 3, "gateway answered 503")
        assert delays[:2] == [1, 2]  # 30 s, then 60 s after the second try
        assert len(provider.received) == 3
        assert worker.claim(now=utcnow() + timedelta(days=1)) == []


def test_a_permanent_refusal_is_not_retried(ctx, provider):
    provider.answers = [PermanentFailure("wrong template")]
    [message_id] = _queue(1)
    assert worker.drain().failed == 1
    message = db.session.get(OutboxMessage, message_id)
    assert (message.status, message.attempts, message.last_error) == ("failed", 1, "wrong template")
    assert worker.claim(now=utcnow() + timedelta(days=1)) == []


def test_an_unexpected_error_is_retried_without_its_text(ctx, provider):
    provider.answers = [ValueError("+84912345678 is personal")]
    [message_id] = _queue(1)
    assert worker.drain().retried == 1
    message = db.session.get(OutboxMessage, message_id)
    assert (message.status, message.last_error) == ("pending", "unexpected ValueError")


def test_a_message_for_a_channel_nobody_configured_fails(ctx):
    outbox.enqueue(channel="pigeon", recipient_key="user:1", address="x", template="any",
                   params={}, dedupe_key="pigeon")
    db.session.commit()
    assert worker.drain().failed == 1
    assert db.session.scalar(select(OutboxMessage.last_error)) == "no channel 'pigeon' configured"


def test_flask_worker_once_drains_the_outbox(app, runner, provider):
    with app.app_context():
        _queue(3)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 3" in result.output
    assert len(provider.received) == 3
