"""Who among volunteers and leads hears what (the volunteers' audience of the outbox),
their alert preferences, and the daily digests.

- a new request in my team's queue: to those who chose "immediately" (the others get
  the digest, or nothing);
- a ticket assigned to me (by my lead); my held ticket goes back tomorrow (stale.py's
  warning); an escalated ticket I sent up returned to the queue; a resident says the
  ticket I resolved is still not solved: to me.

Each becomes an in-app notification and one push per device. Outside the hours the
person set, a push waits for their hours to begin; but a new request's push is then
not sent at all: by morning others may have taken it, and the queue and the digest
show what still waits. Pushes carry the category and ward, never the resident.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..clock import as_stored, local_date, to_local, utcnow
from ..extensions import db
from ..figures import HELD_IDLE_AFTER
from ..lifecycle import HELD, Action, Status
from ..models import AlertPreference, Ticket, TicketEvent, User
from ..notifications.events import audience, handed_to
from ..notifications.outbox import enqueue
from ..stale import notify
from ..vocabulary import FIELD_ROLES, NewRequestAlerts, Role
from . import push

UNCLAIMED_DIGEST_AFTER = timedelta(hours=24)
# Events that put a ticket in a team's queue as new.
ARRIVALS = (Action.CREATED, Action.SET_WARD, Action.REASSIGN)


def preference(user_id: int) -> AlertPreference:
    found = db.session.get(AlertPreference, user_id)
    return found or AlertPreference(user_id=user_id, new_requests=NewRequestAlerts.NEVER)


def set_preference(user_id: int, new_requests: str, from_hour: int | None, to_hour: int | None) -> AlertPreference:
    row = db.session.get(AlertPreference, user_id) or AlertPreference(user_id=user_id)
    row.new_requests = NewRequestAlerts(new_requests)
    row.from_hour, row.to_hour = (from_hour, to_hour) if from_hour != to_hour else (None, None)
    db.session.add(row)
    db.session.flush()
    return row


def within_hours(pref: AlertPreference, now: datetime) -> bool:
    """Inside the person's hours (local time; a window may run past midnight)."""
    if pref.from_hour is None or pref.to_hour is None:
        return True
    hour = to_local(now).hour
    if pref.from_hour < pref.to_hour:
        return pref.from_hour <= hour < pref.to_hour
    return hour >= pref.from_hour or hour < pref.to_hour


def hours_begin_after(pref: AlertPreference, now: datetime) -> datetime:
    """The next moment the person's hours begin, as stored (naive UTC)."""
    local = to_local(now)
    begins = local.replace(hour=pref.from_hour, minute=0, second=0, microsecond=0)
    if begins <= local:
        begins += timedelta(days=1)
    return as_stored(begins)


def _last_actor(ticket_id: int, action: str) -> int | None:
    return db.session.scalar(select(TicketEvent.actor_id).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.action == action,
        TicketEvent.actor_kind == "user").order_by(TicketEvent.id.desc()).limit(1))


def _team_listeners(team_id: int, mode: str, except_id: int | None) -> list[int]:
    rows = db.session.scalars(
        select(User.id).join(AlertPreference, AlertPreference.user_id == User.id)
        .where(User.team_id == team_id, User.active.is_(True), User.role.in_(FIELD_ROLES),
               AlertPreference.new_requests == mode))
    return [user_id for user_id in rows if user_id != except_id]


# The actions `recipients` answers for.
HEARD_BY_VOLUNTEERS = (*ARRIVALS, Action.ASSIGN, Action.STALE_WARNING, Action.RETURN_TO_QUEUE,
                       Action.REOPEN)


def recipients(ticket: Ticket, event: TicketEvent) -> list[tuple[int, str]]:
    """(user id, kind) for each person this event concerns."""
    if event.action in ARRIVALS:
        if ticket.team_id is None or ticket.status != Status.NEW:
            return []
        return [(u, "new_request") for u in _team_listeners(ticket.team_id, NewRequestAlerts.IMMEDIATE,
                                                            event.actor_id)]
    if event.action == Action.ASSIGN and handed_to(event) not in (None, event.actor_id):
        return [(handed_to(event), "assigned")]
    if event.action == Action.STALE_WARNING and ticket.assignee_id and ticket.status in HELD:
        return [(ticket.assignee_id, "stale_warning")]
    if event.action == Action.RETURN_TO_QUEUE:
        sent_up_by = _last_actor(ticket.id, Action.ESCALATE)
        return [(sent_up_by, "returned")] if sent_up_by else []
    if event.action == Action.REOPEN:
        resolved_by = _last_actor(ticket.id, Action.RESOLVE)
        return [(resolved_by, "reopened")] if resolved_by else []
    return []


def page_path(endpoint: str, **values) -> str:
    """A page's path, from a request or a cron job alike (no SERVER_NAME needed)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def ticket_params(ticket: Ticket) -> dict:
    return {"reference": ticket.reference, "category_vi": ticket.category.name_vi,
            "category_en": ticket.category.name_en,
            "ward": ticket.ward.name if ticket.ward else "",
            "url": page_path("volunteers.ticket", reference=ticket.reference)}


def push_to(user_id: int, kind: str, params: dict, dedupe: str, now: datetime, *,
            ticket_id: int | None = None, event_id: int | None = None) -> int:
    """One push per device of the person, due when their hours allow; how many were
    queued."""
    pref = preference(user_id)
    due_at = None
    if not within_hours(pref, now):
        if kind == "new_request":
            return 0
        due_at = hours_begin_after(pref, now)
    queued = 0
    for device in push.devices_of(user_id):
        if enqueue(channel="webpush", recipient_key=f"user:{user_id}", address=str(device.id),
                   template=kind, params=params, ticket_id=ticket_id, event_id=event_id,
                   user_id=user_id, dedupe_key=f"{dedupe}:webpush:{device.id}", now=now,
                   due_at=due_at):
            queued += 1
    return queued


@audience(HEARD_BY_VOLUNTEERS)
def volunteers_hear(ticket: Ticket, event: TicketEvent) -> None:
    now = event.created_at or utcnow()
    for user_id, kind in recipients(ticket, event):
        dedupe = f"{kind}:{event.id}:{user_id}"
        # stale.py wrote the warning's notification itself.
        if kind != "stale_warning":
            notify(user_id, ticket.id, kind, dedupe, now)
        push_to(user_id, kind, ticket_params(ticket), dedupe, now, ticket_id=ticket.id,
                event_id=event.id)


def send_digests(now: datetime | None = None) -> dict[str, int]:
    """The day's digests, once per person per local day (run it daily from cron):
    leads hear of requests unclaimed over 24 hours and held tickets with no activity;
    volunteers who chose the digest hear how many new requests wait."""
    now = now or utcnow()
    day = local_date(now).isoformat()
    sent = {"lead_digest": 0, "new_requests_digest": 0}
    unclaimed = dict(db.session.execute(
        select(Ticket.team_id, func.count(Ticket.id))
        .where(Ticket.status == Status.NEW, Ticket.created_at < now - UNCLAIMED_DIGEST_AFTER)
        .group_by(Ticket.team_id)).all())
    idle = dict(db.session.execute(
        select(Ticket.team_id, func.count(Ticket.id))
        .where(Ticket.status.in_(HELD), Ticket.updated_at < now - HELD_IDLE_AFTER)
        .group_by(Ticket.team_id)).all())
    waiting = dict(db.session.execute(
        select(Ticket.team_id, func.count(Ticket.id)).where(Ticket.status == Status.NEW)
        .group_by(Ticket.team_id)).all())
    people = db.session.execute(
        select(User.id, User.role, User.team_id, AlertPreference.new_requests)
        .outerjoin(AlertPreference, AlertPreference.user_id == User.id)
        .where(User.active.is_(True), User.role.in_(FIELD_ROLES), User.team_id.is_not(None))).all()
    for user_id, role, team_id, mode in people:
        if role == Role.LEAD and (unclaimed.get(team_id) or idle.get(team_id)):
            kind, params = "lead_digest", {"unclaimed": unclaimed.get(team_id, 0),
                                           "idle": idle.get(team_id, 0)}
        elif mode == NewRequestAlerts.DIGEST and waiting.get(team_id):
            kind, params = "new_requests_digest", {"new": waiting[team_id]}
        else:
            continue
        dedupe = f"{kind}:{day}:{user_id}"
        if notify(user_id, None, kind, dedupe, now):
            params["url"] = page_path("volunteers.queue")
            push_to(user_id, kind, params, dedupe, now)
            sent[kind] += 1
    db.session.flush()
    return sent
