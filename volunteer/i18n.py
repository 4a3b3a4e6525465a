"""Language and time: Vietnamese by default, English on request; dates dd/mm/yyyy in
Asia/Ho_Chi_Minh."""
from datetime import datetime

from flask import current_app, has_request_context, request, session
from flask_babel import format_decimal, format_percent, get_locale, gettext, lazy_gettext, ngettext
from jinja2 import pass_context

from .clock import as_stored, to_local, utcnow
from . import campaigns, lifecycle, routing
from .phones import display_phone
from .seeding import ward_of_team_name
from .vocabulary import Channel


def select_locale() -> str:
    if not has_request_context():
        # Commands (flask users …) print their messages in the default language.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    # Machines (the Open311 API) ask with Accept-Language; people use the switch.
    if request.blueprint == "open311":
        return request.accept_languages.best_match(languages) or "vi"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language() -> str:
    return str(get_locale() or "vi")


def format_date(moment: datetime | None) -> str:
    local = to_local(moment)
    return local.strftime("%d/%m/%Y") if local else ""


def format_datetime(moment: datetime | None) -> str:
    local = to_local(moment)
    return local.strftime("%H:%M %d/%m/%Y") if local else ""


def format_age(moment: datetime | None, now: datetime | None = None) -> str:
    """"3 ngày trước" / "3 days ago": how long a resident has been waiting."""
    if moment is None:
        return ""
    now = now or utcnow()
    if moment.tzinfo is not None:
        moment = as_stored(moment)
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return ngettext("vừa xong", "vừa xong", 1)
    minutes = seconds // 60
    if minutes < 60:
        return ngettext("%(num)d phút trước", "%(num)d phút trước", minutes)
    hours = minutes // 60
    if hours < 24:
        return ngettext("%(num)d giờ trước", "%(num)d giờ trước", hours)
    days = hours // 24
    return ngettext("%(num)d ngày trước", "%(num)d ngày trước", days)


def format_number(value, digits: int = 0) -> str:
    """A count or measure in the reader's locale, with a fixed number of decimals:
    "1.000" and "13,0" in Vietnamese, "1,000" and "13.0" in English."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""))


def format_share(value, digits: int = 0) -> str:
    """A share between 0 and 1 as a percentage in the reader's locale ("45 %" / "45%")."""
    if value is None:
        return "—"
    return format_percent(value, format="#,##0" + ("." + "0" * digits if digits else "") + "%")


def team_label(name: str) -> str:
    """A team's name in the reader's language. Seeded teams are named by one pattern
    around their ward's name, so English readers get that pattern translated rather than
    a second stored name that could drift; any other name is shown as stored."""
    ward = ward_of_team_name(name)
    return gettext("Tổ công nghệ số cộng đồng %(ward)s", ward=ward) if ward else name


CHANNEL_LABELS = {
    Channel.WEB: lazy_gettext("Biểu mẫu trên web"),
    Channel.QR_POINT: lazy_gettext("Mã QR tại điểm hỗ trợ"),
    Channel.PHONE: lazy_gettext("Điện thoại"),
    Channel.DOOR_TO_DOOR: lazy_gettext("Đến từng nhà"),
    Channel.API: lazy_gettext("Hệ thống khác (Open311)"),
}


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


# Residents' and volunteers' messages (the outbox), as coordinators read them.
MESSAGE_CHANNEL_LABELS = {
    "sms": lazy_gettext("Tin nhắn SMS"),
    "zalo": lazy_gettext("Zalo"),
    "email": lazy_gettext("Thư điện tử"),
    "webpush": lazy_gettext("Thông báo trên điện thoại"),
}
MESSAGE_STATUS_LABELS = {
    "pending": lazy_gettext("Đang chờ gửi"),
    "sending": lazy_gettext("Đang gửi"),
    "sent": lazy_gettext("Đã gửi"),
    "failed": lazy_gettext("Bị từ chối"),
    "dead": lazy_gettext("Bỏ sau nhiều lần thử"),
}
RESIDENT_MESSAGE_LABELS = {
    "received": lazy_gettext("Đã nhận yêu cầu"),
    "taken": lazy_gettext("Tình nguyện viên đã nhận"),
    "resolved": lazy_gettext("Đã giải quyết: hỏi đã xong chưa"),
    "reminder": lazy_gettext("Nhắc lại: đã xong chưa"),
    "cancelled": lazy_gettext("Yêu cầu đã huỷ"),
    "merged": lazy_gettext("Gộp vào yêu cầu khác"),
}


def message_channel_label(channel: str) -> str:
    return str(MESSAGE_CHANNEL_LABELS.get(channel, channel))


def message_status_label(status: str) -> str:
    return str(MESSAGE_STATUS_LABELS.get(status, status))


def message_template_label(template: str) -> str:
    """What a message says, by its template: the residents' ones here, the volunteers'
    (pushes) as their in-app notifications name them; anything else as stored."""
    from .phone.inbox import KIND_LABELS  # the phone app's own words, kept there

    return str(RESIDENT_MESSAGE_LABELS.get(template) or KIND_LABELS.get(template, template))


def status_label(status: str) -> str:
    return lifecycle.STATUS_LABELS.get(status, status)


def event_label(event, with_detail: bool = True) -> str:
    """What happened, as the timeline says it: "Tình nguyện viên đã liên hệ: Đã nghe máy"."""
    label = str(lifecycle.EVENT_LABELS.get(event.action, event.action))
    details = {"contact": lifecycle.CONTACT_RESULTS,
               "resolve": lifecycle.RESOLVE_OUTCOME_LABELS}.get(event.action, {})
    if with_detail and event.detail in details:
        return f"{label}: {details[event.detail]}"
    return label


def category_label(category) -> str:
    return category.label(current_language())


def visit_outcome_label(outcome: str) -> str:
    return campaigns.VISIT_OUTCOME_LABELS.get(outcome, outcome)


def routing_reason_label(reason: str | None) -> str:
    return str(routing.ROUTING_REASON_LABELS.get(reason, reason or ""))


def register_filters(app) -> None:
    app.jinja_env.filters.update(
        local_date=format_date, local_datetime=format_datetime, age=format_age,
        status_label=status_label, event_label=event_label, category_label=category_label,
        visit_outcome_label=visit_outcome_label, routing_reason_label=routing_reason_label,
        decimal=format_number, percent=format_share, team_label=team_label,
        channel_label=channel_label, phone=display_phone,
        message_channel_label=message_channel_label, message_status_label=message_status_label,
        message_template_label=message_template_label,
    )

    @app.context_processor
    def language_context():
        return {"current_language": current_language()}

    install_template_gettext(app)


def install_template_gettext(app) -> None:
    """Templates' `_("…")` without variables, as Markup memoised per locale and message
    (a page makes ~30 such calls; each went through Flask-Babel's domain, locale and
    catalog look-ups, then Markup and `%` escaping). With variables, or where
    autoescaping is off, Jinja's own gettext as before. The language is the one the
    context processor put in this render's context (`current_language`, asked once per
    render, so a render under `force_locale` has its own), else asked each call: asking
    Flask-Babel thirty times a page cost ~4 % of a page."""
    plain = app.jinja_env.globals["gettext"]
    memo: dict = {}

    @pass_context
    def template_gettext(context, string, **variables):
        if variables or not context.eval_ctx.autoescape:
            return plain(context, string, **variables)
        key = (context.get("current_language") or current_language(), string)
        translated = memo.get(key)
        if translated is None:
            translated = memo[key] = plain(context, string)
        return translated

    app.jinja_env.globals.update(gettext=template_gettext, _=template_gettext)
