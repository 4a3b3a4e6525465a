"""Campaigns: coordinators create them and follow progress; volunteers log visits on
their phones, door after door."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ... import campaigns, catalog, figures
from ...access import coordinator_required, field_required
from ...clock import local_date, utcnow
from ...extensions import db
from ...i18n import current_language
from ...limits import STREET_MAX
from ...models import Campaign, Category, Ward, team_wards
from ...phone import offline
from .. import carry_out
from . import bp
from .forms import CampaignForm, TargetForm, VisitForm

TARGET_MAX = 1_000_000


def get_campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _category_choices():
    language = current_language()
    return [(c.id, c.label(language)) for c in catalog.categories()]


def _targets_from(form_data, wards) -> tuple[dict[int, int], list[str]]:
    """target_<ward id> numbers; an empty box keeps the default (the household count)."""
    targets, errors = {}, []
    for ward in wards:
        raw = (form_data.get(f"target_{ward.id}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) > TARGET_MAX:
            errors.append(_("Số hộ mục tiêu của %(ward)s không hợp lệ.", ward=ward.name))
            continue
        targets[ward.id] = int(raw)
    return targets, errors


@bp.route("/campaigns/", methods=["GET", "POST"])
@coordinator_required
def index():
    form = CampaignForm()
    form.categories.choices = _category_choices()
    wards = figures.routing_wards()
    status = 200
    if form.validate_on_submit():
        targets, errors = _targets_from(request.form, wards)
        if errors:
            for error in errors:
                flash(error, "error")
            status = 400
        else:
            campaign, error = carry_out(
                campaigns.create_campaign,
                name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                category_ids=form.categories.data, targets=targets, created_by_id=current_user.id)
            if error is not None:
                status = error.status_code
            else:
                flash(_("Đã tạo chiến dịch %(name)s.", name=campaign.name), "success")
                return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    elif form.is_submitted():
        status = 400
    summaries = [(c, campaigns.progress(c.id)) for c in campaigns.all_campaigns()]
    return render_template("campaigns/index.html", form=form, wards=wards, summaries=summaries,
                           today=local_date(utcnow())), status


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
@coordinator_required
def show(campaign_id):
    campaign = get_campaign_or_404(campaign_id)
    form = TargetForm()
    if form.validate_on_submit():
        wards = [t.ward for t in campaign.targets]
        targets, errors = _targets_from(request.form, wards)
        error = carry_out(_set_targets, campaign, targets, errors).error
        if error is not None:
            return render_template("campaigns/show.html", campaign=campaign, form=form,
                                   progress=campaigns.progress(campaign.id)), error.status_code
        flash(_("Đã lưu số hộ mục tiêu."), "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return render_template("campaigns/show.html", campaign=campaign, form=form,
                           progress=campaigns.progress(campaign.id))


def _set_targets(campaign: Campaign, targets: dict[int, int], errors: list[str]) -> None:
    if errors:
        raise campaigns.CampaignError(errors[0])
    for ward_id, households in targets.items():
        campaigns.set_target(campaign, ward_id, households)


def _team_ward_ids() -> list[int]:
    if current_user.team_id is None:
        return []
    return list(db.session.scalars(
        select(team_wards.c.ward_id).where(team_wards.c.team_id == current_user.team_id)))


@bp.route("/field/", methods=["GET", "POST"])
@field_required
@offline.replayable
def field():
    offline.keep_offline_copy()
    ward_ids = _team_ward_ids()
    today = local_date(utcnow())
    running = campaigns.active_campaigns(ward_ids, today)
    if not running:
        return render_template("campaigns/field.html", campaign=None, running=[], form=None)
    chosen = request.values.get("campaign", type=int)
    campaign = next((c for c in running if c.id == chosen), running[0])
    form = VisitForm()
    campaign_wards = {t.ward_id for t in campaign.targets if t.target_households > 0}
    form.ward.choices = [(w.id, w.name) for w in db.session.scalars(
        select(Ward).where(Ward.id.in_(set(ward_ids) & campaign_wards)).order_by(Ward.name))]
    form.outcome.choices = [(k, str(v)) for k, v in campaigns.VISIT_OUTCOME_LABELS.items()]
    focus = [c.id for c in campaign.categories]
    form.helped_with.choices = sorted(_category_choices(), key=lambda c: c[0] not in focus)
    if request.method == "GET":
        form.campaign.data = str(campaign.id)
        form.street.data = request.args.get("street", "")[:STREET_MAX]
        ward = request.args.get("ward", type=int)
        if ward in dict(form.ward.choices):
            form.ward.data = ward
    if form.validate_on_submit():
        lat, lon = form.coordinates()
        helped = db.session.scalars(select(Category).where(
            Category.id.in_(form.helped_with.data or []))).all()
        visit, error = carry_out(campaigns.log_visit, campaign, current_user, campaigns.VisitInput(
            ward_id=form.ward.data, household_label=form.household.data,
            outcome=form.outcome.data, street=(form.street.data or "").strip() or None,
            helped_with=", ".join(c.name_vi for c in helped), note=form.note.data or None,
            lat=lat, lon=lon, resident_name=(form.resident_name.data or "").strip() or None,
            resident_phone=form.resident_phone.normalized,
            category_id=helped[0].id if helped else None))
        if error is None:
            if visit.ticket is not None:
                flash(_("Đã ghi lượt đến và tạo yêu cầu %(reference)s cho tổ.",
                        reference=visit.ticket.reference), "success")
            else:
                flash(_("Đã ghi lượt đến %(household)s.", household=visit.household_label), "success")
            if "next_house" in request.form:
                return redirect(url_for("campaigns.field", campaign=campaign.id,
                                        street=visit.street or "", ward=visit.ward_id))
            return redirect(url_for("campaigns.field", campaign=campaign.id))
    status = 400 if form.is_submitted() else 200
    mine = campaigns.visits_by(campaign.id, current_user.id, today)
    return render_template("campaigns/field.html", campaign=campaign, running=running, form=form,
                           mine=mine), status
