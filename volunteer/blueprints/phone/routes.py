"""The app's manifest and service worker, the list of pages to keep offline, a fresh
CSRF token for actions sent later, and the notifications list."""
from pathlib import Path

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ...access import field_required
from ...clock import utcnow
from ...extensions import db
from ...models import AlertPreference
from ...phone import alerts, inbox, offline, push
from ...vocabulary import FIELD_ROLES
from . import bp
from .forms import AlertForm

THEME_COLOUR = "#0b5cad"
BACKGROUND_COLOUR = "#f4f6f8"
ICON_SIZES = (48, 72, 96, 144, 192, 512)
MASKABLE_SIZES = (192, 512)


@bp.after_app_request
def mark_offline_copy(response):
    return offline.mark_response(response)


def _manifest_texts(language: str) -> dict:
    with force_locale(language):
        return {
            "name": _("Hỗ trợ số cộng đồng – Tình nguyện viên"),
            "short_name": _("Tổ CNS"),
            "description": _("Hàng chờ của tổ, yêu cầu của tôi và ghi lượt đến từng nhà, cả khi không có mạng."),
            "shortcuts": [
                {"name": _("Hàng chờ"), "url": url_for("volunteers.queue")},
                {"name": _("Của tôi"), "url": url_for("volunteers.mine")},
                {"name": _("Đến từng nhà"), "url": url_for("campaigns.field")},
            ],
        }


@bp.route("/manifest.webmanifest")
def manifest():
    """Public (browsers fetch it without cookies); the language is in the link's query."""
    language = request.args.get("lang", "vi")
    if language not in current_app.config["LANGUAGES"]:
        language = "vi"
    other = "en" if language == "vi" else "vi"
    icon = lambda name, size, purpose: {  # noqa: E731
        "src": url_for("static", filename=f"phone/icons/{name}-{size}.png"),
        "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
    texts = _manifest_texts(language)
    body = {
        "id": url_for("volunteers.queue"),
        "lang": language,
        **texts,
        "translations": {other: {k: v for k, v in _manifest_texts(other).items() if k != "shortcuts"}},
        "start_url": url_for("volunteers.queue"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [icon("icon", s, "any") for s in ICON_SIZES]
                 + [icon("maskable", s, "maskable") for s in MASKABLE_SIZES],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/sw.js")
def service_worker():
    """Served from our own origin; allowed to control /volunteer/ and /field/ (two
    registrations of this one script)."""
    script = Path(current_app.static_folder, "phone", "sw.js").read_bytes()
    response = current_app.response_class(script, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline-pages")
@field_required
def offline_pages():
    """What the phone should keep a copy of now; copies of anything else are dropped."""
    pages = [url_for("volunteers.queue"), url_for("volunteers.mine"), url_for("campaigns.field"),
             url_for("phone.offline_page")]
    pages += [url_for("volunteers.ticket", reference=r) for r in offline.held_references(current_user.id)]
    response = jsonify(pages=pages, keep_days=offline.KEEP_DAYS)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sync-token")
@field_required
def sync_token():
    """A fresh CSRF token for actions recorded offline, whose page may be days old."""
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/offline")
@field_required
def offline_page():
    """Shown by the service worker for a page it has no copy of."""
    offline.keep_offline_copy()
    return render_template("phone/offline.html")


@bp.route("/notifications")
@field_required
def notifications():
    return render_template("phone/notifications.html", items=inbox.latest(current_user.id))


@bp.route("/notifications/read", methods=["POST"])
@field_required
def mark_notifications_read():
    """Mark one notification read (and open its ticket), or all of them."""
    chosen = request.form.get("id", type=int)
    inbox.mark_read(current_user.id, chosen)
    db.session.commit()
    reference = request.form.get("reference", "")
    if chosen is not None and reference and len(reference) <= 20:
        return redirect(url_for("volunteers.ticket", reference=reference))
    return redirect(url_for(".notifications"))


@bp.app_context_processor
def phone_context():
    def phone_app() -> bool:
        """The signed-in field pages carry the app: manifest, worker, offline status."""
        return bool(current_user and current_user.is_authenticated
                    and current_user.role in FIELD_ROLES)

    def rendered_at() -> str:
        return utcnow().isoformat(timespec="seconds") + "Z"

    def unread_notifications() -> int:
        return inbox.unread_count(current_user.id)

    return {"phone_app": phone_app, "rendered_at": rendered_at,
            "unread_notifications": unread_notifications, "keep_days": offline.KEEP_DAYS}


@bp.route("/alerts", methods=["GET", "POST"])
@field_required
def alerts_settings():
    chosen = alerts.preference(current_user.id)
    form = AlertForm(obj=chosen if db.session.get(AlertPreference, current_user.id) else None)
    if form.validate_on_submit():
        alerts.set_preference(current_user.id, form.new_requests.data, form.from_hour.data,
                              form.to_hour.data)
        db.session.commit()
        flash(_("Đã lưu cách báo. Bật thông báo trên máy này để nhận được."), "success")
        return redirect(url_for(".alerts_settings", saved=1))
    status = 400 if form.is_submitted() else 200
    return render_template("phone/alerts.html", form=form,
                           chosen=db.session.get(AlertPreference, current_user.id) is not None,
                           devices=len(push.devices_of(current_user.id)),
                           public_key=push.public_key(current_app.config)), status


@bp.route("/alerts/devices", methods=["POST"])
@field_required
def add_device():
    """The phone's push subscription, sent by alerts.js after the permission."""
    data = request.get_json(silent=True) or {}
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    try:
        push.save_subscription(current_user.id, str(data.get("endpoint") or ""),
                               str(keys.get("p256dh") or ""), str(keys.get("auth") or ""))
    except push.SubscriptionRefused:
        return jsonify(saved=False), 400
    db.session.commit()
    return jsonify(saved=True)


@bp.route("/alerts/devices/forget", methods=["POST"])
@field_required
def forget_device():
    data = request.get_json(silent=True) or {}
    push.remove_subscription(current_user.id, str(data.get("endpoint") or ""))
    db.session.commit()
    return jsonify(forgotten=True)
