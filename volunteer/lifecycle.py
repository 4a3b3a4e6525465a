"""The ticket lifecycle, as data: every transition says from where, to where, who may
make it and what it needs. Views and commands call `authorize`; the database side
(`tickets.apply_transition`) makes the change atomic. No one sets a status by hand.

Relations are how an actor stands to a ticket: "resident" (proved the reference and
phone digits), "holder" (its assignee), "member" (volunteer or lead of its team),
"lead" (lead of its team), "coordinator" (coordinator or admin), "system" (jobs).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "new": _l("Đang chờ tiếp nhận"),
    "claimed": _l("Đã có tình nguyện viên nhận"),
    "in_progress": _l("Đang hỗ trợ"),
    "resolved": _l("Đã giải quyết"),
    "closed": _l("Đã đóng"),
    "escalated": _l("Đã chuyển điều phối viên"),
    "unreachable": _l("Không liên lạc được"),
    "cancelled": _l("Đã huỷ"),
}

CONTACT_RESULTS = {
    "answered": _l("Đã nghe máy"),
    "no_answer": _l("Không nghe máy"),
    "wrong_number": _l("Sai số điện thoại"),
}

RESOLVE_OUTCOME_LABELS = {
    "helped": _l("Đã hỗ trợ xong"),
    "helped_partly": _l("Hỗ trợ được một phần"),
    "not_helped": _l("Không hỗ trợ được"),
    "another_visit": _l("Cần một lần đến nữa"),
}

UNANSWERED_BEFORE_UNREACHABLE = 3
OPEN = frozenset({"new", "claimed", "in_progress", "escalated"})
HELD = frozenset({"claimed", "in_progress"})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None keeps the status (an event without a move)
    actors: frozenset[str]
    requires: frozenset[str] = frozenset()
    stamp: str | None = None  # the ticket's timestamp column this step sets
    public_label: object = ""
    guard: str | None = None
    clears_assignee: bool = False
    sets_assignee: bool = False
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


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("claim", {"new"}, "claimed", {"member"}, _l("Tình nguyện viên đã nhận hỗ trợ"),
           stamp="claimed_at", sets_assignee=True,
           taken_message=_l("Rất tiếc, một tình nguyện viên khác vừa nhận yêu cầu này.")),
        _t("assign", {"new", "claimed", "escalated"}, "claimed", {"lead", "coordinator"},
           _l("Đã phân công tình nguyện viên"), requires={"assignee"}, stamp="claimed_at",
           sets_assignee=True),
        _t("start", {"claimed"}, "in_progress", {"holder"}, _l("Tình nguyện viên bắt đầu hỗ trợ"),
           stamp="started_at"),
        _t("contact", {"claimed", "in_progress"}, None, {"holder"},
           _l("Tình nguyện viên đã liên hệ"), requires={"contact_result"}),
        _t("resolve", {"claimed", "in_progress"}, "resolved", {"holder", "lead", "coordinator"},
           _l("Đã giải quyết"), requires={"outcome"}, stamp="resolved_at"),
        _t("release", {"claimed", "in_progress"}, "new", {"holder", "lead", "coordinator"},
           _l("Yêu cầu được trả lại hàng chờ của tổ"), requires={"note"},
           clears_assignee=True),
        _t("escalate", {"new", "claimed", "in_progress"}, "escalated",
           {"holder", "lead"}, _l("Đã chuyển lên điều phối viên"), requires={"note"},
           stamp="escalated_at"),
        _t("return_to_queue", {"escalated"}, "new", {"coordinator"},
           _l("Điều phối viên trả yêu cầu về hàng chờ của tổ"), clears_assignee=True),
        _t("unreachable", {"new", "claimed", "in_progress"}, "unreachable",
           {"holder", "lead", "coordinator"}, _l("Không liên lạc được với người yêu cầu"),
           guard="enough_unanswered"),
        _t("cancel", {"new", "claimed"}, "cancelled", {"resident"},
           _l("Người yêu cầu đã huỷ"), stamp="cancelled_at", clears_assignee=True),
        _t("merge", {"new", "claimed", "in_progress", "escalated", "unreachable"}, "cancelled",
           {"coordinator"}, _l("Đã gộp vào một yêu cầu trùng"), requires={"duplicate_of"},
           stamp="cancelled_at", clears_assignee=True),
        _t("reopen", {"resolved"}, "new", {"resident"},
           _l("Người yêu cầu báo vẫn chưa giải quyết được; yêu cầu được mở lại"),
           clears_assignee=True),
        _t("retry", {"unreachable"}, "new", {"resident", "lead", "coordinator"},
           _l("Yêu cầu được mở lại để liên hệ lần nữa"), clears_assignee=True),
        _t("confirm", {"resolved"}, "closed", {"resident"},
           _l("Người yêu cầu xác nhận đã giải quyết"), stamp="closed_at"),
        _t("close", {"resolved"}, "closed", {"system", "coordinator"}, _l("Đã đóng"),
           stamp="closed_at"),
        _t("auto_release", {"claimed", "in_progress"}, "new", {"system"},
           _l("Trả lại hàng chờ vì lâu không cập nhật"), clears_assignee=True),
        _t("reassign", OPEN | {"unreachable"}, "new", {"coordinator"},
           _l("Đã chuyển cho tổ khác"), requires={"team"}, clears_assignee=True),
        _t("set_ward", {"new"}, "new", {"coordinator"}, _l("Đã xác định phường và chuyển cho tổ"),
           requires={"ward"}),
    )
}

# Events that are not moves, listed so the timeline can label every row.
EVENT_LABELS = {
    "created": _l("Đã tiếp nhận yêu cầu"),
    "erased": _l("Dữ liệu cá nhân đã được xoá theo thời hạn lưu trữ"),
    "stale_warning": _l("Nhắc tình nguyện viên cập nhật"),
    **{action: t.public_label for action, t in TRANSITIONS.items()},
}


class TransitionError(Exception):
    """A refused transition. `status_code` is the HTTP answer a view should give."""

    status_code = 409

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


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
    # Teams a lead also answers for; empty for most.
    extra: tuple = field(default_factory=tuple)

    @classmethod
    def for_user(cls, user) -> "Actor":
        return cls(kind="user", user_id=user.id, role=user.role, team_id=user.team_id)


RESIDENT = Actor(kind="resident")
SYSTEM = Actor(kind="system")


def relations(actor: Actor, team_id: int | None, assignee_id: int | None) -> set[str]:
    if actor.kind in ("resident", "system"):
        return {actor.kind}
    if actor.kind != "user":
        return set()
    found = set()
    if actor.role in ("coordinator", "admin"):
        found.add("coordinator")
    if team_id is not None and actor.team_id == team_id and actor.role in ("volunteer", "lead"):
        found.add("member")
        if actor.role == "lead":
            found.add("lead")
    if assignee_id is not None and actor.user_id == assignee_id:
        found.add("holder")
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
        return "coordinator" in rels or unanswered_attempts >= UNANSWERED_BEFORE_UNREACHABLE
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
