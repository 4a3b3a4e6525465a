"""Ticket operations: create and move tickets. They flush, never commit: the caller
(a view, a command, the API) commits once or rolls back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from . import catalog, figures, lifecycle
from .geo import geography
from .extensions import db, insert_row, insert_unless_taken
from .clock import utcnow
from .lifecycle import Action, Actor, ContactResult, Effect, Status, TransitionConflict
from .models import Ticket, TicketEvent, User
from .limits import STREET_MAX, fit
from .notifications.events import ticket_event_recorded
from .privacy import mask_id_numbers, street_of
from .references import new_reference
from .routing import choose_team, route_ward
from .vocabulary import FIELD_ROLES, Channel


@dataclass
class Request:
    """A resident's request as plain values, already validated by a form or the API."""

    name: str | None
    phone: str  # normalized +84…
    category_id: int
    description: str = ""
    address: str | None = None
    ward_id: int | None = None  # a routing area or a merged ward, as picked
    lat: float | None = None
    lon: float | None = None
    location_source: str | None = None
    channel: str = Channel.WEB
    needs_elderly: bool = False
    needs_disability: bool = False
    needs_home_visit: bool = False
    preferred_time: str | None = None
    email: str | None = None
    media_url: str | None = None
    submission_key: str | None = None
    api_key_id: int | None = None
    campaign_id: int | None = None
    actor_id: int | None = None  # a volunteer filing on a resident's behalf
    notify_channel: str | None = None  # how they want to hear back (None: not asked)
    notify_locale: str | None = None


def find_by_submission_key(key: str | None) -> Ticket | None:
    if not key:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.submission_key == key))


def create_ticket(request: Request, now: datetime | None = None) -> Ticket:
    """Route and store a request; a repeated submission key returns the first ticket."""
    return create_or_find(request, now)[0]


def create_or_find(request: Request, now: datetime | None = None) -> tuple[Ticket, bool]:
    """Route and store a request: (the new ticket, True); or, when its submission key
    was already used (a double tap, a client's retry, even one arriving at the same
    moment on another worker), (the first ticket, False).

    This is every resident's request, so it costs what it must: the ticket's and its
    "created" event's INSERTs, and what the event's audiences add (the resident's
    "received" message). The wards, teams and categories come from the catalog's copy,
    and the submission key and the reference are checked by the INSERT itself."""
    now = now or utcnow()
    geo = geography.load()
    picked = catalog.ward(request.ward_id)
    routed = route_ward(
        picked_area=picked.code if picked is not None and picked.is_routing_area else None,
        picked_group=geo.groups.get(picked.id) if picked is not None and not picked.is_routing_area else None,
        lat=request.lat,
        lon=request.lon,
        location_source=request.location_source,
        address=request.address,
        places=geo,
    )
    ward_id = geo.area_ids.get(routed.area_code) if routed.area_code else None
    address = mask_id_numbers(request.address)
    values = dict(
        resident_name=mask_id_numbers(request.name),
        phone=request.phone,
        phone_last4=request.phone[-4:],
        email=request.email,
        address=address,
        street=fit(street_of(address), STREET_MAX),
        ward_id=ward_id,
        requested_ward_id=request.ward_id,
        ward_flagged=routed.flagged,
        routing_reason=routed.reason,
        team_id=team_for_ward(ward_id),
        lat=routed.lat,
        lon=routed.lon,
        location_source=routed.location_source,
        category_id=request.category_id,
        description=mask_id_numbers(request.description or ""),
        channel=request.channel,
        needs_elderly=request.needs_elderly,
        needs_disability=request.needs_disability,
        needs_home_visit=request.needs_home_visit,
        preferred_time=mask_id_numbers(request.preferred_time),
        media_url=request.media_url,
        consent_at=now,
        api_key_id=request.api_key_id,
        campaign_id=request.campaign_id,
        submission_key=request.submission_key,
        notify_channel=request.notify_channel,
        notify_locale=request.notify_locale,
        status=Status.NEW,
        created_at=now,
        updated_at=now,
    )
    ticket = _insert_with_fresh_reference(values)
    if ticket is None:
        return find_by_submission_key(request.submission_key), False
    event = insert_row(TicketEvent, dict(
        ticket_id=ticket.id,
        action=Action.CREATED,
        actor_kind="user" if request.actor_id else ("api" if request.api_key_id else "resident"),
        actor_id=request.actor_id,
        to_status=Status.NEW,
        detail=request.channel,
        created_at=now,
    ))
    ticket_event_recorded(ticket, event)
    return ticket, True


def _insert_with_fresh_reference(values: dict, attempts: int = 5) -> Ticket | None:
    """INSERT the ticket under a new random reference; None when its submission key is
    already stored (committed, or committed meanwhile by the transaction we waited for).

    ON CONFLICT DO NOTHING instead of a savepoint and an IntegrityError: a clash aborts
    nothing (the caller's transaction goes on), and a double submit waits for the first
    copy's commit, then finds its ticket, rather than failing."""
    prefix = current_app.config.get("REFERENCE_PREFIX", "DH")
    for _ in range(attempts):
        ticket = insert_unless_taken(Ticket, {"reference": new_reference(prefix), **values})
        if ticket is not None:
            return ticket
        if find_by_submission_key(values["submission_key"]) is not None:
            return None
        # Otherwise the reference was taken: draw another.
    raise RuntimeError("could not find a free ticket reference")


def team_for_ward(ward_id: int | None) -> int | None:
    """The team covering the ward; where several do, the one with the fewest open tickets."""
    covering = catalog.teams_covering(ward_id) if ward_id is not None else ()
    if len(covering) < 2:
        return covering[0] if covering else None
    open_counts = dict(db.session.execute(
        select(Ticket.team_id, func.count(Ticket.id))
        .where(Ticket.team_id.in_(covering), Ticket.status.in_(lifecycle.OPEN))
        .group_by(Ticket.team_id)
    ).all())
    return choose_team((team_id, open_counts.get(team_id, 0)) for team_id in covering)


def relations_for(ticket: Ticket, actor: Actor) -> set[str]:
    return lifecycle.relations(actor, ticket.team_id, ticket.assignee_id)


def apply_transition(
    ticket: Ticket,
    action: str,
    actor: Actor,
    *,
    note: str | None = None,
    outcome: str | None = None,
    contact_result: str | None = None,
    assignee: User | None = None,
    team_id: int | None = None,
    ward_id: int | None = None,
    duplicate_of: Ticket | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Check and make one lifecycle step, atomically, and record it.

    The UPDATE is conditional on the status (and holder) that were checked, so of
    two people acting at once exactly one wins; the other gets TransitionConflict.
    """
    now = now or utcnow()
    provided = {
        name
        for name, value in (
            ("note", note and note.strip()),
            ("outcome", outcome),
            ("contact_result", contact_result),
            ("assignee", assignee),
            ("team", team_id),
            ("ward", ward_id),
            ("duplicate_of", duplicate_of),
        )
        if value
    }
    rels = relations_for(ticket, actor)
    transition = lifecycle.authorize(
        action, ticket.status, rels, provided, ticket.unanswered_attempts or 0
    )
    if assignee is not None and (assignee.team_id != ticket.team_id or not assignee.active
                                 or assignee.role not in FIELD_ROLES):
        raise lifecycle.TransitionIncomplete(
            lifecycle.missing_message("assignee")
        )

    values, detail = _changes(transition, actor, now, outcome=outcome,
                              contact_result=contact_result, assignee=assignee,
                              team_id=team_id, ward_id=ward_id, duplicate_of=duplicate_of)
    conditions = [Ticket.id == ticket.id, Ticket.status == ticket.status]
    conditions.append(
        Ticket.assignee_id.is_(None) if ticket.assignee_id is None
        else Ticket.assignee_id == ticket.assignee_id
    )
    # A step that moves the ticket in the durations histogram (claim, resolve, another
    # team or ward) also requires the columns it is counted by to be as read: the cells
    # it leaves are then exactly the ones computed here, whoever acted meanwhile.
    moves_durations = any(name in values for name in figures.DURATION_COLUMNS)
    if moves_durations:
        before = figures.ticket_cells(ticket)
        for name in figures.DURATION_COLUMNS:
            column, value = getattr(Ticket, name), getattr(ticket, name)
            conditions.append(column.is_(None) if value is None else column == value)
    if action == Action.CLAIM:
        conditions.append(Ticket.team_id == actor.team_id)
    result = db.session.execute(
        update(Ticket).where(*conditions).values(**values).execution_options(
            synchronize_session=False
        )
    )
    if result.rowcount != 1:
        db.session.refresh(ticket)
        raise TransitionConflict(
            transition.taken_message
            or _l("Yêu cầu vừa được người khác cập nhật. Vui lòng tải lại trang.")
        )
    event = TicketEvent(
        ticket_id=ticket.id,
        action=action,
        actor_kind=actor.kind,
        actor_id=actor.user_id,
        from_status=ticket.status,
        to_status=transition.target or ticket.status,
        note=mask_id_numbers(note.strip()) if note and note.strip() else None,
        detail=outcome or contact_result or detail,
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    db.session.refresh(ticket)
    if moves_durations:
        figures.record_durations(before, figures.ticket_cells(ticket))
    ticket_event_recorded(ticket, event)
    return event


def _changes(transition: lifecycle.Transition, actor: Actor, now: datetime, *, outcome,
             contact_result, assignee, team_id, ward_id, duplicate_of) -> tuple[dict, str | None]:
    """The column values a transition sets, its effects carried out, and the event's
    detail they leave (which member, team, ward or ticket the step names)."""
    values: dict = {"updated_at": now}
    detail = None
    if transition.target is not None:
        values["status"] = transition.target
    if transition.stamp:
        values[transition.stamp] = now
    for effect in transition.effects:
        match effect:
            case Effect.TAKE:
                values["assignee_id"] = assignee.id if assignee is not None else actor.user_id
                detail = f"user:{assignee.id}" if assignee is not None else None
            case Effect.LET_GO:
                values["assignee_id"] = None
            case Effect.RECORD_OUTCOME:
                values["outcome"] = outcome
                values["first_resolved_at"] = func.coalesce(Ticket.first_resolved_at, now)
            case Effect.COUNT_UNANSWERED:
                if contact_result == ContactResult.NO_ANSWER:
                    values["unanswered_attempts"] = Ticket.unanswered_attempts + 1
            case Effect.START_OVER:
                values["reopen_count"] = Ticket.reopen_count + 1
                values["unanswered_attempts"] = 0
                values["outcome"] = None
            case Effect.MOVE_TO_TEAM:
                values["team_id"] = team_id
                detail = f"team:{team_id}"
            case Effect.PLACE_IN_WARD:
                values["ward_id"] = ward_id
                values["team_id"] = team_for_ward(ward_id)
                detail = f"ward:{ward_id}"
            case Effect.MARK_DUPLICATE:
                values["duplicate_of_id"] = duplicate_of.id
                detail = duplicate_of.reference
    return values, detail
