"""The ticket lifecycle, as data: every transition says from where, to where, who may
make it and what it needs. Views and commands call `authorize`; the database side
(`tickets.apply_transition`) makes the change atomic. No one sets a status by hand.

Relations are how an actor stands to a ticket: "resident" (proved the reference and
phone digits), "holder" (its assignee), "member" (volunteer or lead of its team),
"lead" (lead of its team), "coordinator" (coordinator or admin), "system" (jobs).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from .domain_errors import DomainError
from .vocabulary import COORDINATOR_ROLES, FIELD_ROLES, Role


class Status(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ESCALATED = "escalated"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


# Open: someone still has to act. Held: a volunteer has it in hand.
OPEN = frozenset({Status.NEW, Status.CLAIMED, Status.IN_PROGRESS, Status.ESCALATED})
HELD = frozenset({Status.CLAIMED, Status.IN_PROGRESS})
# In the order of `Status`, for lists and filters.
OPEN_IN_ORDER = tuple(s for s in Status if s in OPEN)


class Action(StrEnum):
    """What a ticket event records: a transition, or an event that is not a move."""

    CLAIM = "claim"
    ASSIGN = "assign"
    START = "start"
    CONTACT = "contact"
    RESOLVE = "resolve"
    RELEASE = "release"
    ESCALATE = "escalate"
    RETURN_TO_QUEUE = "return_to_queue"
    UNREACHABLE = "unreachable"
    CANCEL = "cancel"
    MERGE = "merge"
    REOPEN = "reopen"
    RETRY = "retry"
    CONFIRM = "confirm"
    CLOSE = "close"
    AUTO_RELEASE = "auto_release"
    REASSIGN = "reassign"
    SET_WARD = "set_ward"
    CREATED = "created"
    ERASED = "erased"
    STALE_WARNING = "stale_warning"


class ContactResult(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"


class ResolveOutcome(StrEnum):
    HELPED = "helped"
    HELPED_PARTLY = "helped_partly"
    NOT_HELPED = "not_helped"
    ANOTHER_VISIT = "another_visit"


class Relation(StrEnum):
    """How an actor stands to a ticket (see the module's docstring)."""

    RESIDENT = "resident"
    HOLDER = "holder"
    MEMBER = "member"
    LEAD = "lead"
    COORDINATOR = "coordinator"
    SYSTEM = "system"


class Effect(StrEnum):
    """What a transition changes on the ticket besides its status and timestamp;
    `tickets.apply_transition` is the one place that carries them out."""

    TAKE = "take"  # the assignee named, else the actor, holds it
    LET_GO = "let_go"  # nobody holds it
    RECORD_OUTCOME = "record_outcome"  # the outcome; the first resolution is kept
    COUNT_UNANSWERED = "count_unanswered"  # a call nobody answered counts
    START_OVER = "start_over"  # another round: reopened once more, attempts and outcome cleared
    MOVE_TO_TEAM = "move_to_team"
    PLACE_IN_WARD = "place_in_ward"  # the ward, and the team covering it
    MARK_DUPLICATE = "mark_duplicate"


STATUS_LABELS = {
    Status.NEW: _l("Đang chờ tiếp nhận"),
    Status.CLAIMED: _l("Đã có tình nguyện viên nhận"),
    Status.IN_PROGRESS: _l("Đang hỗ trợ"),
    Status.RESOLVED: _l("Đã giải quyết"),
    Status.CLOSED: _l("Đã đóng"),
    Status.ESCALATED: _l("Đã chuyển cho điều phối viên"),
    Status.UNREACHABLE: _l("Không liên lạc được"),
    Status.CANCELLED: _l("Đã huỷ"),
}

CONTACT_RESULTS = {
    ContactResult.ANSWERED: _l("Đã nghe máy"),
    ContactResult.NO_ANSWER: _l("Không nghe máy"),
    ContactResult.WRONG_NUMBER: _l("Sai số điện thoại"),
}

RESOLVE_OUTCOME_LABELS = {
    ResolveOutcome.HELPED: _l("Đã hỗ trợ xong"),
    ResolveOutcome.HELPED_PARTLY: _l("Hỗ trợ được một phần"),
    ResolveOutcome.NOT_HELPED: _l("Không hỗ trợ được"),
    ResolveOutcome.ANOTHER_VISIT: _l("Cần một lần đến nữa"),
}

UNANSWERED_BEFORE_UNREACHABLE = 3


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status | None  # None keeps the status (an event without a move)
    actors: frozenset[Relation]
    requires: frozenset[str] = frozenset()
    stamp: str | None = None  # the ticket's timestamp column this step sets
    public_label: object = ""
    guard: str | None = None
    effects: tuple[Effect, ...] = ()
    # What to say when the ticket is already held by someone (a lost race), rather
    # than the generic "not in this status".
    taken_message: object = None


def _t(action, sources, target, actors, public_label, **kw) -> Transition:
    return Transition(
        action=action,
        sources=frozenset(sources),
        target=target,
        actors=frozenset(actors),
        public_label=public_label,
        **{k: frozenset(v) if k == "requires" else v for k, v in kw.items()},
    )


S, R, E = Status, Relation, Effect
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t(Action.CLAIM, {S.NEW}, S.CLAIMED, {R.MEMBER}, _l("Tình nguyện viên đã nhận hỗ trợ"),
           stamp="claimed_at", effects=(E.TAKE,),
           taken_message=_l("Rất tiếc, một tình nguyện viên khác vừa nhận yêu cầu này.")),
        _t(Action.ASSIGN, {S.NEW, S.CLAIMED, S.ESCALATED}, S.CLAIMED, {R.LEAD, R.COORDINATOR},
           _l("Đã phân công tình nguyện viên"), requires={"assignee"}, stamp="claimed_at",
           effects=(E.TAKE,)),
        _t(Action.START, {S.CLAIMED}, S.IN_PROGRESS, {R.HOLDER},
           _l("Tình nguyện viên bắt đầu hỗ trợ"), stamp="started_at"),
        _t(Action.CONTACT, HELD, None, {R.HOLDER},
           _l("Tình nguyện viên đã liên hệ"), requires={"contact_result"},
           effects=(E.COUNT_UNANSWERED,)),
        _t(Action.RESOLVE, HELD, S.RESOLVED, {R.HOLDER, R.LEAD, R.COORDINATOR},
           _l("Đã giải quyết"), requires={"outcome"}, stamp="resolved_at",
           effects=(E.RECORD_OUTCOME,)),
        _t(Action.RELEASE, HELD, S.NEW, {R.HOLDER, R.LEAD, R.COORDINATOR},
           _l("Yêu cầu được trả lại hàng chờ của tổ"), requires={"note"}, effects=(E.LET_GO,)),
        _t(Action.ESCALATE, {S.NEW} | HELD, S.ESCALATED,
           {R.HOLDER, R.LEAD}, _l("Đã chuyển lên điều phối viên"), requires={"note"},
           stamp="escalated_at"),
        _t(Action.RETURN_TO_QUEUE, {S.ESCALATED}, S.NEW, {R.COORDINATOR},
           _l("Điều phối viên trả yêu cầu về hàng chờ của tổ"), effects=(E.LET_GO,)),
        _t(Action.UNREACHABLE, {S.NEW} | HELD, S.UNREACHABLE,
           {R.HOLDER, R.LEAD, R.COORDINATOR}, _l("Không liên lạc được với người yêu cầu"),
           guard="enough_unanswered"),
        _t(Action.CANCEL, {S.NEW, S.CLAIMED}, S.CANCELLED, {R.RESIDENT},
           _l("Người yêu cầu đã huỷ"), stamp="cancelled_at", effects=(E.LET_GO,)),
        _t(Action.MERGE, OPEN | {S.UNREACHABLE}, S.CANCELLED,
           {R.COORDINATOR}, _l("Đã gộp vào một yêu cầu trùng"), requires={"duplicate_of"},
           stamp="cancelled_at", effects=(E.LET_GO, E.MARK_DUPLICATE)),
        _t(Action.REOPEN, {S.RESOLVED}, S.NEW, {R.RESIDENT},
           _l("Người yêu cầu báo vẫn chưa giải quyết được; yêu cầu được mở lại"),
           effects=(E.LET_GO, E.START_OVER)),
        _t(Action.RETRY, {S.UNREACHABLE}, S.NEW, {R.RESIDENT, R.LEAD, R.COORDINATOR},
           _l("Yêu cầu được mở lại để liên hệ lần nữa"), effects=(E.LET_GO, E.START_OVER)),
        _t(Action.CONFIRM, {S.RESOLVED}, S.CLOSED, {R.RESIDENT},
           _l("Người yêu cầu xác nhận đã giải quyết"), stamp="closed_at"),
        _t(Action.CLOSE, {S.RESOLVED}, S.CLOSED, {R.SYSTEM, R.COORDINATOR}, _l("Đã đóng"),
           stamp="closed_at"),
        _t(Action.AUTO_RELEASE, HELD, S.NEW, {R.SYSTEM},
           _l("Trả lại hàng chờ vì lâu không cập nhật"), effects=(E.LET_GO,)),
        _t(Action.REASSIGN, OPEN | {S.UNREACHABLE}, S.NEW, {R.COORDINATOR},
           _l("Đã chuyển cho tổ khác"), requires={"team"}, effects=(E.LET_GO, E.MOVE_TO_TEAM)),
        _t(Action.SET_WARD, {S.NEW}, S.NEW, {R.COORDINATOR},
           _l("Đã xác định phường và chuyển cho tổ"), requires={"ward"},
           effects=(E.PLACE_IN_WARD,)),
    )
}
del S, R, E

# Events that are not moves, listed so the timeline can label every row.
EVENT_LABELS = {
    Action.CREATED: _l("Đã tiếp nhận yêu cầu"),
    Action.ERASED: _l("Dữ liệu cá nhân đã được xoá theo thời hạn lưu trữ"),
    Action.STALE_WARNING: _l("Nhắc tình nguyện viên cập nhật"),
    **{action: t.public_label for action, t in TRANSITIONS.items()},
}


class TransitionError(DomainError):
    """A refused transition."""

    status_code = 409


class TransitionConflict(TransitionError):
    status_code = 409


class TransitionForbidden(TransitionError):
    status_code = 403


class TransitionIncomplete(TransitionError):
    status_code = 400


@dataclass(frozen=True)
class Actor:
    """Who acts, as plain values: a user, the resident, the system or an API client."""

    kind: str  # "user" | "resident" | "system" | "api"
    user_id: int | None = None
    role: str | None = None
    team_id: int | None = None

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls(kind="user", user_id=user.id, role=user.role, team_id=user.team_id)


RESIDENT = Actor(kind="resident")
SYSTEM = Actor(kind="system")


def relations(actor: Actor, team_id: int | None, assignee_id: int | None) -> set[str]:
    if actor.kind in (Relation.RESIDENT, Relation.SYSTEM):
        return {Relation(actor.kind)}
    if actor.kind != "user":
        return set()
    found = set()
    if actor.role in COORDINATOR_ROLES:
        found.add(Relation.COORDINATOR)
    if team_id is not None and actor.team_id == team_id and actor.role in FIELD_ROLES:
        found.add(Relation.MEMBER)
        if actor.role == Role.LEAD:
            found.add(Relation.LEAD)
    if assignee_id is not None and actor.user_id == assignee_id:
        found.add(Relation.HOLDER)
    return found


def available_actions(
    status: str, rels: set[str], unanswered_attempts: int | None = None
) -> list[str]:
    """The actions this actor may offer on a ticket in this status.

    Given the ticket's unanswered attempts, actions whose guard would refuse are left out
    too (a button that can only fail is noise on a phone)."""
    return [
        a
        for a, t in TRANSITIONS.items()
        if status in t.sources
        and t.actors & rels
        and (unanswered_attempts is None or _guard_passes(t, rels, unanswered_attempts))
    ]


def _guard_passes(transition: Transition, rels: set[str], unanswered_attempts: int) -> bool:
    if transition.guard == "enough_unanswered":
        return Relation.COORDINATOR in rels or unanswered_attempts >= UNANSWERED_BEFORE_UNREACHABLE
    return True


def authorize(
    action: str,
    status: str,
    rels: set[str],
    provided: set[str] = frozenset(),
    unanswered_attempts: int = 0,
) -> Transition:
    """Return the transition, or raise the refusal a user should read.

    The state is checked before the actor: resolving a ticket still in the queue is a
    conflict (409) for everyone, acting on someone else's held ticket is forbidden (403).
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionConflict(_l("Thao tác không hợp lệ."))
    if status not in transition.sources:
        if transition.taken_message is not None and status in HELD:
            raise TransitionConflict(transition.taken_message)
        raise TransitionConflict(
            _l(
                "Không thể thực hiện thao tác này khi yêu cầu đang ở trạng thái “%(status)s”.",
                status=STATUS_LABELS.get(status, status),
            )
        )
    if not transition.actors & rels:
        raise TransitionForbidden(_l("Bạn không có quyền thực hiện thao tác này với yêu cầu này."))
    missing = transition.requires - set(provided)
    if missing:
        raise TransitionIncomplete(missing_message(sorted(missing)[0]))
    if not _guard_passes(transition, rels, unanswered_attempts):
        raise TransitionConflict(
            _l(
                "Chỉ đánh dấu không liên lạc được sau %(count)d lần gọi không ai nghe máy.",
                count=UNANSWERED_BEFORE_UNREACHABLE,
            )
        )
    return transition


def missing_message(field_name: str):
    return {
        "note": _l("Vui lòng ghi lý do."),
        "outcome": _l("Vui lòng chọn kết quả hỗ trợ."),
        "assignee": _l("Vui lòng chọn tình nguyện viên."),
        "contact_result": _l("Vui lòng chọn kết quả cuộc gọi."),
        "duplicate_of": _l("Vui lòng nhập mã yêu cầu bị trùng."),
        "team": _l("Vui lòng chọn tổ."),
        "ward": _l("Vui lòng chọn phường."),
    }.get(field_name, _l("Thiếu thông tin bắt buộc."))
