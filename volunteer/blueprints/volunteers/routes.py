"""The volunteer's phone screens: the team's queue, my tickets, a ticket, its actions."""
from urllib.parse import quote

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ... import catalog, lifecycle, privacy, queues, tickets
from ...access import field_required
from ...extensions import db
from ...i18n import current_language
from ...lifecycle import Action, Actor
from ...models import Category, Ticket, User
from ...phone import offline
from ...phones import display_phone
from ...vocabulary import FIELD_ROLES
from .. import carry_out
from . import bp
from .forms import (
    AssignForm,
    ContactForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    ResolveForm,
)

# The actions a volunteer or lead can take from the phone, each with its form.
ACTION_FORMS = {
    Action.CLAIM: NoteForm,
    Action.ASSIGN: AssignForm,
    Action.START: NoteForm,
    Action.CONTACT: ContactForm,
    Action.RESOLVE: ResolveForm,
    Action.RELEASE: ReasonForm,
    Action.ESCALATE: ReasonForm,
    Action.UNREACHABLE: NoteForm,
}

DONE_MESSAGES = {
    Action.CLAIM: lambda: _("Bạn đã nhận yêu cầu này. Thông tin liên hệ hiện ở bên dưới."),
    Action.ASSIGN: lambda: _("Đã giao yêu cầu."),
    Action.START: lambda: _("Đã ghi nhận: bạn bắt đầu hỗ trợ."),
    Action.CONTACT: lambda: _("Đã ghi lại lần liên hệ."),
    Action.RESOLVE: lambda: _("Đã đóng yêu cầu với kết quả đã chọn. Cảm ơn bạn!"),
    Action.RELEASE: lambda: _("Đã trả yêu cầu về hàng chờ của tổ."),
    Action.ESCALATE: lambda: _("Đã chuyển yêu cầu lên điều phối viên."),
    Action.UNREACHABLE: lambda: _("Đã đánh dấu không liên lạc được."),
}


# The actions a holder may record without a signal, named as their buttons are: the
# phone keeps them and sends them (once each) when the network returns.
OFFLINE_LABELS = {
    Action.START: lambda: _("Bắt đầu hỗ trợ"),
    Action.CONTACT: lambda: _("Ghi lại lần liên hệ"),
    Action.RESOLVE: lambda: _("Hoàn tất"),
}


def _team_ticket_or_404(reference: str) -> Ticket:
    """The ticket, if it belongs to the signed-in user's team; 404 otherwise, so another
    team's references cannot even be confirmed to exist."""
    team_id = current_user.team_id
    if team_id is None or len(reference) > 20:
        abort(404)
    ticket = db.session.scalar(
        select(Ticket).where(Ticket.reference == reference, Ticket.team_id == team_id)
    )
    if ticket is None:
        abort(404)
    return ticket


def _category_choices() -> list[SelectChoice]:
    language = current_language()
    return [SelectChoice("", _("Tất cả"))] + [SelectChoice(c.code, c.label(language))
                                              for c in catalog.categories()]


def _team_members(team_id: int) -> list[User]:
    return db.session.scalars(
        select(User)
        .where(User.team_id == team_id, User.active.is_(True), User.role.in_(FIELD_ROLES))
        .order_by(User.name)
    ).all()


@bp.route("/queue")
@field_required
def queue():
    form = QueueFilterForm(request.args)
    form.category.choices = _category_choices()
    status = 200
    if not form.validate():
        status = 400
        form = _defaults_with_errors(form)
    lat, lon = form.coordinates()
    if form.order.data == "nearest" and lat is None:
        flash(_("Cần vị trí của bạn để xếp theo khoảng cách; đang xếp mới nhất trước."), "info")
        form.order.data = "newest"
    category_id = None
    if form.category.data:
        category_id = db.session.scalar(select(Category.id).where(Category.code == form.category.data))
    filters = queues.QueueFilters(
        statuses=form.statuses(),
        category_id=category_id,
        order=form.order.data,
        lat=lat,
        lon=lon,
        page=form.page_number(),
    )
    page = queues.team_queue(current_user.team_id, filters, user_id=current_user.id)
    offline.keep_offline_copy()
    return render_template(
        "volunteers/queue.html",
        form=form,
        page=page,
        page_args=_page_args(form),
    ), status


def _defaults_with_errors(bad: QueueFilterForm) -> QueueFilterForm:
    """The default filters, carrying the bad input's messages to show."""
    form = QueueFilterForm(formdata=None)
    form.category.choices = bad.category.choices
    form.errors_to_show = [str(e) for errors in bad.errors.values() for e in errors]
    return form


def _page_args(form: QueueFilterForm) -> dict:
    args = {"status": form.status.data, "order": form.order.data}
    if form.category.data:
        args["category"] = form.category.data
    if form.order.data == "nearest":
        args["lat"], args["lon"] = form.lat.data, form.lon.data
    return args


@bp.route("/mine")
@field_required
def mine():
    groups = queues.my_tickets(current_user.id)
    offline.keep_offline_copy()
    return render_template("volunteers/mine.html", groups=groups)


@bp.route("/tickets/<reference>")
@field_required
def ticket(reference):
    return render_ticket(_team_ticket_or_404(reference))


def render_ticket(ticket: Ticket, status: int = 200, failed_form=None, failed_action=None):
    actor = Actor.for_user(current_user)
    rels = tickets.relations_for(ticket, actor)
    actions = [
        action
        for action in lifecycle.available_actions(ticket.status, rels, ticket.unanswered_attempts or 0)
        if action in ACTION_FORMS
    ]
    can_see = privacy.can_see_personal_data(rels)
    if ticket.assignee_id == current_user.id:
        # My ticket, resident's contact included, opens offline; nobody else's is kept.
        offline.keep_offline_copy()
    forms = {action: ACTION_FORMS[action](formdata=None) for action in actions}
    if failed_action in forms and failed_form is not None:
        forms[failed_action] = failed_form
    if Action.ASSIGN in forms:
        forms[Action.ASSIGN].assignee.choices = _assignee_choices(ticket)
    return render_template(
        "volunteers/ticket.html",
        ticket=ticket,
        can_see=can_see,
        holder=ticket.assignee_id == current_user.id,
        actions=actions,
        forms=forms,
        contact=_contact(ticket) if can_see else None,
        rough=(privacy.rough_coordinate(ticket.lat), privacy.rough_coordinate(ticket.lon)),
        published=None if can_see else privacy.publish_ticket(ticket),
        unanswered_needed=lifecycle.UNANSWERED_BEFORE_UNREACHABLE,
        offline_labels={action: label() for action, label in OFFLINE_LABELS.items()},
    ), status


def _assignee_choices(ticket: Ticket) -> list[SelectChoice]:
    return [SelectChoice("", _("Chọn thành viên"))] + [
        SelectChoice(str(member.id), member.name)
        for member in _team_members(ticket.team_id)
        if member.id != ticket.assignee_id
    ]


def _contact(ticket: Ticket) -> dict:
    """What the holder needs to reach the resident: call, and find the door."""
    if ticket.lat is not None and ticket.lon is not None:
        destination = f"{ticket.lat:.6f},{ticket.lon:.6f}"
    else:
        destination = ", ".join(p for p in (ticket.address, ticket.ward.name if ticket.ward else None) if p)
    return {
        "name": ticket.resident_name,
        "phone": ticket.phone,
        "phone_display": display_phone(ticket.phone) if ticket.phone else None,
        "address": ticket.address,
        # Google Maps' universal link opens the map app on Android and iOS, else the web.
        "directions": (
            "https://www.google.com/maps/dir/?api=1&destination=" + quote(destination, safe=",")
            if destination else None
        ),
        "preferred_time": ticket.preferred_time,
    }


@bp.route("/tickets/<reference>/<action>", methods=["POST"])
@field_required
@offline.replayable
def act(reference, action):
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        abort(404)
    ticket = _team_ticket_or_404(reference)
    form = form_class()
    if isinstance(form, AssignForm):
        form.assignee.choices = _assignee_choices(ticket)
    if not form.validate_on_submit():
        flash(_("Vui lòng kiểm tra lại thông tin vừa nhập."), "error")
        return render_ticket(ticket, 400, form, action)
    assignee = None
    if isinstance(form, AssignForm) and form.assignee.data:
        assignee = db.session.get(User, int(form.assignee.data))
    error = carry_out(
        tickets.apply_transition,
        ticket,
        action,
        Actor.for_user(current_user),
        note=form.note.data,
        outcome=_value(form, "outcome"),
        contact_result=_value(form, "contact_result"),
        assignee=assignee,
    ).error
    if error is not None:
        return render_ticket(db.session.get(Ticket, ticket.id), error.status_code, form, action)
    flash(DONE_MESSAGES[action](), "success")
    if action == Action.RELEASE:
        return redirect(url_for(".queue"))
    return redirect(url_for(".ticket", reference=ticket.reference))


def _value(form, name: str) -> str | None:
    field = getattr(form, name, None)
    return (field.data or None) if field is not None else None
