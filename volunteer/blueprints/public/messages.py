"""Where residents' messages lead: the signed link in every message opens the
request's page (as tracking with the reference and digits would), pointed at the
answer or the stop button; and the SMS gateway's inbound webhook for STOP messages.
Opening a link changes nothing: the answer and the stop are buttons on the page."""
import hmac

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from ...extensions import csrf, db, limiter
from ...models import Ticket
from ...notifications import links, residents, texts
from ...notifications.channels.sms import GATEWAYS, InboundRefused
from ...phones import InvalidPhone, normalize_phone
from .. import carry_out
from . import bp
from .forms import ResidentActionForm
from .routes import _tracked_ticket_or_404, _tracking_limit, remember_tracked, render_status

ANCHORS = {None: None, "yes": "confirm", "no": "reopen", "stop": "stop-messages"}


@bp.route("/m/<token>")
@bp.route("/m/<token>/<answer>")
def message_link(token, answer=None):
    ticket_id = links.ticket_id_of(token, current_app.config["SECRET_KEY"])
    if ticket_id is None or answer not in ANCHORS:
        abort(404)
    ticket = db.get_or_404(Ticket, ticket_id)
    remember_tracked(ticket.reference)
    return redirect(url_for(".track_ticket", reference=ticket.reference, _anchor=ANCHORS[answer]))


@bp.route("/track/<reference>/stop-messages", methods=["POST"])
@limiter.limit(_tracking_limit)
def stop_messages(reference):
    ticket = _tracked_ticket_or_404(reference)
    if not ResidentActionForm().validate_on_submit():
        return render_status(ticket, 400)
    carry_out(residents.stop_messages, ticket)
    flash(_("Đã ngừng gửi tin báo về yêu cầu của bạn."), "success")
    return redirect(url_for(".track_ticket", reference=ticket.reference))


@bp.route("/sms/inbound/<token>", methods=["GET", "POST"])
@csrf.exempt
def sms_inbound(token):
    """The gateway forwards messages to its service number here (SMS_INBOUND_TOKEN in
    the URL, and the gateway's own signature, prove it is the gateway); STOP stops
    every message to that phone. eSMS calls with GET; the answer is in its format."""
    expected = current_app.config.get("SMS_INBOUND_TOKEN")
    gateway = GATEWAYS.get(current_app.config.get("SMS_PROVIDER") or "")
    if not expected or gateway is None or not hmac.compare_digest(token, expected):
        abort(404)
    fields = request.args if request.method == "GET" else request.form
    try:
        phone, text = gateway.inbound(fields, current_app.config)
    except InboundRefused:
        abort(403)
    reply = ""
    if texts.says_stop(text):
        try:
            normalized = normalize_phone(phone)
        except InvalidPhone:
            abort(400)
        carry_out(residents.stop_phone, normalized)
        # Sent back by the gateway, to a phone of unknown language: Vietnamese.
        reply = _("Da ngung gui tin bao ve yeu cau ho tro cua ban.")
    body, mimetype = gateway.inbound_answer(fields, texts.without_diacritics(reply))
    return Response(body, mimetype=mimetype)
