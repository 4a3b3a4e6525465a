"""The resident's pages: ask for help, see the confirmation, track, cancel, reopen."""
import time
import uuid

import segno
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from ... import catalog, feedback, lifecycle, tickets
from ...backoff import Backoff, minutes
from ...errors import error_response
from ...extensions import db, limiter
from ...i18n import current_language
from ...models import Ticket
from ...navigation import public_url, safe_next
from ...references import clean_reference
from ...vocabulary import Channel, LocationSource
from .. import carry_out
from . import bp, form_page
from .forms import RequestForm, ResidentActionForm, TrackForm

UNKNOWN_WARD = ""
TRACKED_KEY = "tracked"
TRACKED_MAX = 20  # a community point's phone may file for many residents


def _public_form_limit() -> str:
    return current_app.config.get("RATELIMIT_PUBLIC_FORM", "10 per minute;60 per hour")


def _tracking_limit() -> str:
    return current_app.config.get("RATELIMIT_TRACKING", "30 per minute;200 per hour")


def _reference_guesses() -> Backoff:
    """Wrong digits for one reference from every address together: the per-address limit
    can then stay generous for residents behind a carrier's shared address."""
    free, first_wait, longest_wait = current_app.config.get("TRACKING_BACKOFF", (5, 60, 3600))
    return Backoff("track", free=free, first_wait=first_wait, longest_wait=longest_wait)


def _guess_failed(response) -> bool:
    return response.status_code != 302


def ward_choices() -> dict:
    """Option groups: not sure, the merged wards residents know now, the former wards."""
    wards = catalog.wards()
    choices = {_("Chưa rõ"): [(UNKNOWN_WARD, _("Tôi không biết / không chắc"))]}
    merged = [(w.key, w.name) for w in wards if not w.is_routing_area]
    if merged:
        choices[_("Phường mới (từ 01/07/2025)")] = merged
    choices[_("Phường cũ (trước 01/07/2025)")] = [(w.key, w.name) for w in wards if w.is_routing_area]
    return choices


def category_choices() -> list[tuple[str, str]]:
    language = current_language()
    return [(c.code, c.label(language)) for c in catalog.active_categories()]


def remember_tracked(reference: str) -> None:
    tracked = [r for r in session.get(TRACKED_KEY, []) if r != reference]
    session[TRACKED_KEY] = (tracked + [reference])[-TRACKED_MAX:]


def is_tracked(reference: str) -> bool:
    return reference in session.get(TRACKED_KEY, [])


def qr_svg(url: str, label: str) -> Markup:
    """The QR code as an inline SVG that scales to its box (a viewBox, no fixed size),
    with the four-module quiet zone scanners expect and an accessible name."""
    # Our own SVG, made from our own URL: safe to inline; only the label is escaped.
    svg = segno.make(url, error="m").svg_inline(
        scale=1, border=4, dark="#111", light="#fff", omitsize=True, svgclass="qr-code")
    return Markup(svg.replace("<svg ", Markup('<svg role="img" aria-label="{}" ').format(label), 1))


def _served(response) -> bool:
    """A 503 (the database away) served nothing: the resident who sends the same form
    again once it is back has not used up a try."""
    return response.status_code != 503


@limiter.request_filter
def _blank_form_is_never_limited() -> bool:
    """The form's GET has no limit (the one below counts POSTs): said in one comparison,
    rather than the limiter resolving the route's limits on every GET to find none."""
    return request.endpoint == "public.ask" and request.method != "POST"


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_public_form_limit, methods=["POST"], deduct_when=_served)
def ask():
    if request.method != "POST":
        picked = catalog.ward_by_key(request.args.get("ward"))
        blank = form_page.blank_form(_render_blank_form, picked.key if picked is not None else None,
                                     "qr" if request.args.get("via") == "qr" else "",
                                     uuid.uuid4().hex)
        return render_template("public/ask.html", blank=blank)
    form = _request_form()
    if form.validate_on_submit():
        lat, lon = form.coordinates()
        picked = catalog.ward_by_key(form.ward.data)
        category = catalog.active_category(form.category.data)
        ticket = tickets.create_ticket(
            tickets.Request(
                name=form.name.data.strip(),
                phone=form.phone.normalized,
                category_id=category.id,
                description=(form.description.data or "").strip(),
                address=(form.address.data or "").strip() or None,
                ward_id=picked.id if picked is not None else None,
                lat=lat,
                lon=lon,
                location_source=(form.location_source.data or LocationSource.DEVICE)
                if lat is not None else None,
                channel=Channel.QR_POINT if form.via.data == "qr" else Channel.WEB,
                needs_elderly=form.needs_elderly.data,
                needs_disability=form.needs_disability.data,
                needs_home_visit=form.needs_home_visit.data,
                preferred_time=(form.preferred_time.data or "").strip() or None,
                submission_key=form.submission_key.data or None,
                email=(form.email.data or "").strip() or None,
                notify_channel=form.notify_channel.data,
                notify_locale=current_language(),
            )
        )
        # Read before the commit, which expires the row: no reload for one string.
        reference = ticket.reference
        db.session.commit()
        remember_tracked(reference)
        return redirect(url_for(".submitted", reference=reference))
    return render_template("public/ask.html", form=form), 400


def _request_form(**kwargs) -> RequestForm:
    form = RequestForm(**kwargs)
    form.ward.choices = ward_choices()
    form.category.choices = category_choices()
    return form


def _render_blank_form(ward_key: str | None, via: str, csrf_token: str, submission_key: str) -> str:
    """The blank form as a refused POST would show it (the same template), with the
    given CSRF token and submission key: form_page keeps it with markers in their place."""
    form = _request_form(formdata=None)
    if ward_key is not None:
        form.ward.data = ward_key
    form.via.data = via
    form.submission_key.data = submission_key
    if "csrf_token" in form:
        form.csrf_token.current_token = csrf_token
    return render_template("public/_ask_form.html", form=form)


@bp.route("/submitted/<reference>")
def submitted(reference):
    if not is_tracked(reference):
        return redirect(url_for(".track_ticket", reference=reference))
    ticket = db.first_or_404(select(Ticket).where(Ticket.reference == reference))
    tracking_url = public_url(".track_ticket", reference=ticket.reference)
    return render_template(
        "public/submitted.html", ticket=ticket, tracking_url=tracking_url,
        qr=qr_svg(tracking_url, _("Mã QR để tra cứu yêu cầu %(reference)s", reference=ticket.reference)),
    )


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(_tracking_limit, methods=["POST"], deduct_when=_guess_failed)
def track():
    form = TrackForm()
    if request.method == "GET" and request.args.get("reference"):
        form.reference.data = request.args["reference"]
    if form.validate_on_submit():
        reference = clean_reference(form.reference.data, current_app.config.get("REFERENCE_PREFIX", "DH"))
        ticket = None
        if reference:
            guesses = _reference_guesses()
            wait = guesses.wait_left(reference)
            if wait:
                return render_track_wait(wait)
            ticket = db.session.scalar(
                select(Ticket).where(
                    Ticket.reference == reference, Ticket.phone_last4 == form.phone_last4.data
                )
            )
            if ticket is None:
                guesses.failed(reference)
            else:
                guesses.forget(reference)
        if ticket is not None:
            remember_tracked(ticket.reference)
            return redirect(url_for(".track_ticket", reference=ticket.reference))
        # One message for a wrong reference and wrong digits, so neither can be probed.
        form.reference.errors = list(form.reference.errors) + [
            _("Không tìm thấy yêu cầu với mã và 4 số cuối điện thoại này.")
        ]
        return render_template("public/track.html", form=form), 404
    status = 400 if request.method == "POST" else 200
    return render_template("public/track.html", form=form), status


def render_track_wait(seconds: int):
    """Too many guesses: the form again with what was typed (never the digits) and when
    to come back, in words."""
    form = TrackForm(formdata=None, reference=request.form.get("reference", "")[:20])
    message = _("Bạn đã thử quá nhiều lần. Vui lòng thử lại sau khoảng %(minutes)d phút.",
                minutes=minutes(seconds))
    page = render_template("public/track.html", form=form, wait_message=message)
    return page, 429, {"Retry-After": str(seconds)}


@bp.errorhandler(429)
def too_many_requests(_error):
    """The per-address limit: on the tracking form, the same page as the back-off."""
    if request.endpoint != "public.track":
        return error_response(429)
    limit = limiter.current_limit
    seconds = int(limit.reset_at - time.time()) if limit is not None else 60
    return render_track_wait(max(seconds, 1))


def _tracked_ticket_or_404(reference: str) -> Ticket:
    if not is_tracked(reference):
        abort(404)
    return db.first_or_404(select(Ticket).where(Ticket.reference == reference))


@bp.route("/track/<reference>")
def track_ticket(reference):
    if not is_tracked(reference):
        form = TrackForm(reference=reference)
        return render_template("public/track.html", form=form)
    ticket = _tracked_ticket_or_404(reference)
    return render_status(ticket)


def render_status(ticket: Ticket, status: int = 200):
    actions = lifecycle.available_actions(ticket.status, {"resident"})
    return (
        render_template(
            "public/status.html",
            ticket=ticket,
            actions=actions,
            form=ResidentActionForm(),
        ),
        status,
    )


RESIDENT_ACTIONS = {
    "cancel": lambda: _("Đã huỷ yêu cầu."),
    "reopen": lambda: _("Đã mở lại yêu cầu. Tổ sẽ liên hệ lại với bạn."),
    "confirm": lambda: _("Cảm ơn bạn đã xác nhận."),
    "retry": lambda: _("Đã mở lại yêu cầu. Tổ sẽ liên hệ lại với bạn."),
}


@bp.route("/track/<reference>/<action>", methods=["POST"])
@limiter.limit(_tracking_limit)
def resident_action(reference, action):
    if action not in RESIDENT_ACTIONS:
        abort(404)
    ticket = _tracked_ticket_or_404(reference)
    if action == "cancel" and request.form.get("confirmed") != "yes":
        # One tap must not cancel with no way back: the confirm step comes first.
        return redirect(url_for(".confirm_cancel", reference=ticket.reference), 303)
    form = ResidentActionForm()
    if not form.validate_on_submit():
        return render_status(ticket, 400)
    error = carry_out(feedback.resident_step, ticket, action, note=form.note.data,
                      rating=form.rating.data).error
    if error is not None:
        return render_status(db.session.get(Ticket, ticket.id), error.status_code)
    flash(RESIDENT_ACTIONS[action](), "success")
    return redirect(url_for(".track_ticket", reference=ticket.reference))


@bp.route("/track/<reference>/cancel", methods=["GET"])
def confirm_cancel(reference):
    """A page, not a script dialog: works on any phone, with or without JavaScript."""
    ticket = _tracked_ticket_or_404(reference)
    if "cancel" not in lifecycle.available_actions(ticket.status, {"resident"}):
        return redirect(url_for(".track_ticket", reference=ticket.reference))
    return render_template("public/cancel.html", ticket=ticket, form=ResidentActionForm())


@bp.route("/poster/<ward_key>")
def poster(ward_key):
    ward = catalog.ward_by_key(ward_key)
    if ward is None:
        abort(404)
    url = public_url(".ask", ward=ward.key, via="qr")
    qr = qr_svg(url, _("Mã QR mở trang gửi yêu cầu hỗ trợ cho %(ward)s", ward=ward.name))
    return render_template("public/poster.html", ward=ward, url=url, qr=qr)


@bp.route("/lang/<code>")
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for(".ask"))
