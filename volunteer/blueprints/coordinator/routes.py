"""The coordinator's pages: the ward map (home), dashboard, triage, a ticket with its
coordinator actions, teams and people, exports."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ... import accounts, catalog, charts, duplicates, exports, figures, tickets
from ...access import coordinator_required
from ...extensions import db
from ...i18n import current_language, team_label
from ...lifecycle import (STATUS_LABELS, Action, Actor, Relation, Status,
                          available_actions)
from ...limits import REFERENCE_TYPED_MAX, SHORT_NOTE_MAX
from ...models import Category, Team, Ticket, TicketEvent, User, Ward
from ...notifications import reports
from ...vocabulary import FIELD_ROLES, Role
from ...wards import set_households
from .. import carry_out
from . import bp, mapview
from .forms import (ActiveForm, ExportForm, FilterForm, HouseholdsForm, MergeForm, MoveForm,
                    NoteForm, ReassignForm, RoleForm, UserForm, WardForm)


def role_label(role: str) -> str:
    return {
        Role.VOLUNTEER: _("Tình nguyện viên"),
        Role.LEAD: _("Tổ trưởng"),
        Role.COORDINATOR: _("Điều phối viên"),
        Role.ADMIN: _("Quản trị"),
    }.get(role, role)


def get_ticket_or_404(ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        abort(404)
    return ticket


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _filter_form() -> FilterForm:
    form = FilterForm(request.args)
    mapview.filter_choices(form)
    if not form.measure.data:
        form.measure.data = "open"
    if not form.order.data:
        form.order.data = "newest"
    return form


def _valid_filters(form: FilterForm) -> figures.Filters:
    """Invalid filters are shown on the page and ignored, never half-applied."""
    if request.args and not form.validate():
        flash(_("Bộ lọc không hợp lệ; đang hiển thị tất cả."), "error")
        return figures.Filters()
    return mapview.filters_from(form)


@bp.route("/", endpoint="map")
@coordinator_required
def ward_map():
    form = _filter_form()
    shown = form
    if request.args and not form.validate():
        # The form keeps what was typed and its errors; the map shows everything.
        flash(_("Bộ lọc không hợp lệ; đang hiển thị tất cả."), "error")
        shown = FilterForm(formdata=None)
        mapview.filter_choices(shown)
        shown.measure.data, shown.order.data = "open", "newest"
    page = mapview.build(shown)
    return render_template("coordinator/map.html", form=form, page=page)


@bp.route("/dashboard")
@coordinator_required
def dashboard():
    form = _filter_form()
    filters = _valid_filters(form)
    durations = figures.duration_medians(filters)
    wards = figures.ward_figures(filters, durations=durations)
    teams = figures.team_figures(filters, durations=durations)
    language = current_language()
    categories = catalog.categories(include_inactive=True)
    weekly = figures.weekly(filters)
    weeks = sorted({row.week for row in weekly})
    requests = [charts.Series(c.label(language), {r.week: r.requests for r in weekly if r.category_id == c.id})
                for c in categories]
    resolutions = [charts.Series(c.label(language), {r.week: r.resolutions for r in weekly
                                                     if r.category_id == c.id}) for c in categories]
    chart = charts.weekly_svg(weeks, requests, resolutions,
                              title=_("Yêu cầu và lượt giải quyết theo tuần"))
    export_form = ExportForm(formdata=None, data={
        "category": filters.category_id or "", "status": filters.status or "",
        "campaign": filters.campaign_id or "", "start": filters.start or "",
        "end": filters.end or ""})
    return render_template(
        "coordinator/dashboard.html", form=form, wards=wards, teams=teams,
        ward_total=figures.total(wards, _("Toàn thành phố")),
        attention=figures.needs_attention(filters),
        attention_counts=figures.attention_counts(filters), chart=chart,
        legend=[(charts.colour(n), c.label(language)) for n, c in enumerate(categories)],
        weekly=weekly, export_form=export_form, channel_health=reports.channel_health(),
    )


@bp.route("/triage")
@coordinator_required
def triage():
    waiting = db.session.scalars(
        select(Ticket).where(Ticket.ward_id.is_(None), Ticket.status == Status.NEW)
        .order_by(Ticket.created_at).limit(200)
    ).all()
    form = WardForm()
    form.ward.choices = _ward_choices()
    return render_template("coordinator/triage.html", tickets=waiting, form=form)


def _ward_choices():
    return [(w.id, w.name) for w in figures.routing_wards()]


def _team_choices():
    return [(t.id, team_label(t.name)) for t in db.session.scalars(
        select(Team).where(Team.active.is_(True)).order_by(Team.name))]


# The maxlength of the ticket page's hand-written inputs: those of NoteForm and MergeForm.
_TICKET_FORM_LIMITS = {"note": SHORT_NOTE_MAX, "reference": REFERENCE_TYPED_MAX}

# What the coordinator's ticket page shows, read with the ticket: its many-to-one rows
# in the same query, each with only the columns the page shows (the ward without its
# boundary polygon, tens of kilobytes of GeoJSON; the holder without their password
# hash; on PostgreSQL each column of a row costs the driver work); its history with
# each step's author in one more.
TICKET_PAGE_LOADS = (
    joinedload(Ticket.category).load_only(Category.code, Category.name_vi, Category.name_en),
    joinedload(Ticket.team).load_only(Team.name),
    joinedload(Ticket.assignee).load_only(User.name),
    joinedload(Ticket.ward).load_only(Ward.id, Ward.code, Ward.period, Ward.name),
    joinedload(Ticket.duplicate_of).load_only(Ticket.id, Ticket.reference),
)

# Built once: Session.get with these options built (and keyed) a new statement each time.
_TICKET_PAGE = select(Ticket).options(*TICKET_PAGE_LOADS).where(Ticket.id == bindparam("id"))
# Its history as rows, each step's author joined: what the timeline shows, without a
# TicketEvent and a User object per step.
_TICKET_HISTORY = (
    select(TicketEvent.action, TicketEvent.detail, TicketEvent.note, TicketEvent.created_at,
           TicketEvent.actor_id, User.name.label("actor_name"))
    .outerjoin(User, User.id == TicketEvent.actor_id)
    .where(TicketEvent.ticket_id == bindparam("id")).order_by(TicketEvent.id)
)


# Team labels (a gettext and a name parsed per team) made once per language and team list.
_team_labels: dict[str, tuple] = {}


def _active_team_labels() -> list[tuple[int, str]]:
    teams, language = catalog.active_teams(), current_language()
    kept = _team_labels.get(language)
    if kept is None or kept[0] is not teams:  # the catalog reloaded: label again
        kept = _team_labels[language] = (teams, [(team_id, team_label(name)) for team_id, name in teams])
    return kept[1]


@bp.route("/tickets/<int:ticket_id>")
@coordinator_required
def ticket(ticket_id):
    ticket = db.session.execute(_TICKET_PAGE, {"id": ticket_id}).unique().scalar_one_or_none()
    if ticket is None:
        abort(404)
    actions = available_actions(ticket.status, {Relation.COORDINATOR})
    # Choices come from the process's reference data (no query); the POSTs that act on
    # them validate against the database. The team select is written out in the
    # template (WTForms' widget cost more than the rest of the forms together).
    teams = [c for c in _active_team_labels() if c[0] != ticket.team_id] if "reassign" in actions else []
    wards = [(w.id, w.name) for w in catalog.wards() if w.is_routing_area] if "set_ward" in actions else []
    # The forms' inputs are written out in the template (no form objects on a GET).
    return render_template(
        "coordinator/ticket.html", ticket=ticket, teams=teams, wards=wards,
        limits=_TICKET_FORM_LIMITS, actions=actions,
        suggestions=duplicates.suggest(ticket), messages=reports.messages_of(ticket.id),
        history=db.session.execute(_TICKET_HISTORY, {"id": ticket.id}).all(),
    )


def _act(ticket: Ticket, perform):
    """Run one lifecycle step; commit on success, explain a refusal with its status."""
    error = carry_out(perform).error
    if error is not None:
        return render_template("errors/error.html", status=error.status_code,
                               message=error.message), error.status_code
    flash(_("Đã cập nhật yêu cầu %(reference)s.", reference=ticket.reference), "success")
    return redirect(url_for("coordinator.ticket", ticket_id=ticket.id))


def _form_error(form):
    message = next(iter(e for errors in form.errors.values() for e in errors),
                   _("Yêu cầu không hợp lệ."))
    flash(message, "error")
    return render_template("errors/error.html", status=400, message=message), 400


@bp.post("/tickets/<int:ticket_id>/reassign")
@coordinator_required
def reassign(ticket_id):
    ticket = get_ticket_or_404(ticket_id)
    form = ReassignForm()
    form.team.choices = _team_choices()
    if not form.validate_on_submit():
        return _form_error(form)
    return _act(ticket, lambda: tickets.apply_transition(
        ticket, Action.REASSIGN, Actor.for_user(current_user), team_id=form.team.data,
        note=form.note.data))


@bp.post("/tickets/<int:ticket_id>/merge")
@coordinator_required
def merge(ticket_id):
    ticket = get_ticket_or_404(ticket_id)
    form = MergeForm()
    if not form.validate_on_submit():
        return _form_error(form)
    return _act(ticket, lambda: duplicates.merge(ticket, form.reference.data,
                                                  Actor.for_user(current_user)))


@bp.post("/tickets/<int:ticket_id>/ward")
@coordinator_required
def set_ward(ticket_id):
    ticket = get_ticket_or_404(ticket_id)
    form = WardForm()
    form.ward.choices = _ward_choices()
    if not form.validate_on_submit():
        return _form_error(form)
    response = _act(ticket, lambda: tickets.apply_transition(
        ticket, Action.SET_WARD, Actor.for_user(current_user), ward_id=form.ward.data))
    if request.form.get("back") == "triage" and getattr(response, "status_code", 0) == 302:
        return redirect(url_for("coordinator.triage"))
    return response


@bp.post("/tickets/<int:ticket_id>/<any(return_to_queue, close, retry):action>")
@coordinator_required
def step(ticket_id, action):
    ticket = get_ticket_or_404(ticket_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _form_error(form)
    return _act(ticket, lambda: tickets.apply_transition(
        ticket, action, Actor.for_user(current_user), note=form.note.data))


@bp.route("/people", methods=["GET", "POST"])
@coordinator_required
def people():
    form = UserForm()
    form.role.choices = [(r, role_label(r)) for r in Role
                         if r != Role.ADMIN or current_user.role == Role.ADMIN]
    form.team.choices = [(0, _("Không thuộc tổ"))] + _team_choices()
    if form.validate_on_submit():
        added = carry_out(
            accounts.create_user, form=form, actor_id=current_user.id, name=form.name.data,
            phone=form.phone.data, email=form.email.data, role=form.role.data,
            team_id=form.team.data or None, password=form.password.data)
        if added.error is None:
            flash(_("Đã thêm %(name)s.", name=added.value.name), "success")
            return redirect(url_for("coordinator.people"))
    elif form.is_submitted():
        flash(_("Vui lòng kiểm tra lại các mục được đánh dấu bên dưới."), "error")
    move = MoveForm()
    move.team.choices = _team_choices()
    wards = figures.routing_wards()
    return render_template(
        "coordinator/people.html", form=form, teams=accounts.teams_with_members(),
        coordinators=accounts.coordinators(), move=move, role_form=RoleForm(),
        active_form=ActiveForm(), wards=wards, households=HouseholdsForm(),
        role_label=role_label, team_wards=figures.team_ward_names(),
    ), (400 if form.errors else 200)


def _staff_change(change):
    refused = carry_out(change).error
    if refused is not None:
        return render_template("errors/error.html", status=refused.status_code,
                               message=refused.message), refused.status_code
    flash(_("Đã lưu thay đổi."), "success")
    return redirect(url_for("coordinator.people"))


def _change_person(user_id: int, form, change):
    """One change to a staff member through its small form on the people page."""
    user = get_user_or_404(user_id)
    if not form.validate_on_submit():
        return _form_error(form)
    return _staff_change(lambda: change(user))


@bp.post("/people/<int:user_id>/team")
@coordinator_required
def move_user(user_id):
    form = MoveForm()
    form.team.choices = _team_choices()
    return _change_person(user_id, form,
                          lambda user: accounts.move_user(current_user.id, user, form.team.data))


@bp.post("/people/<int:user_id>/role")
@coordinator_required
def set_role(user_id):
    form = RoleForm()
    form.role.choices = [(r, role_label(r)) for r in FIELD_ROLES]
    return _change_person(user_id, form,
                          lambda user: accounts.set_role(current_user.id, user, form.role.data))


@bp.post("/people/<int:user_id>/active")
@coordinator_required
def set_active(user_id):
    user = get_user_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("0", "1"):
        abort(400)
    return _staff_change(lambda: accounts.set_active(current_user.id, user, form.active.data == "1"))


@bp.post("/wards/<int:ward_id>/households")
@coordinator_required
def households(ward_id):
    ward = db.session.get(Ward, ward_id)
    if ward is None or not ward.is_routing_area:
        abort(404)
    form = HouseholdsForm()
    if not form.validate_on_submit():
        return _form_error(form)
    return _staff_change(lambda: set_households(current_user.id, ward, form.households.data))


@bp.post("/export")
@coordinator_required
def export():
    form = ExportForm()
    if (not form.validate_on_submit() or form.kind.data not in ("tickets", "visits")
            or (form.status.data and form.status.data not in STATUS_LABELS)):
        abort(400)
    try:
        filters = figures.Filters(
            category_id=int(form.category.data) if form.category.data else None,
            status=form.status.data or None,
            campaign_id=int(form.campaign.data) if form.campaign.data else None,
            start=_date(form.start.data), end=_date(form.end.data))
    except ValueError:
        abort(400)
    personal = bool(form.personal.data)
    exports.record_export(current_user.id, form.kind.data, filters, personal)
    db.session.commit()
    if form.kind.data == "tickets":
        lines = exports.ticket_rows(filters, personal, current_language())
    else:
        lines = exports.visit_rows(filters, personal)
    name = f"{form.kind.data}.csv"
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


def _date(raw):
    return date.fromisoformat(raw) if raw else None

