"""The staff navigation: links for the pages a role may open, among those registered."""
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from .vocabulary import COORDINATOR_ROLES, FIELD_ROLES, Role

# (endpoint, label, roles that see it); blueprints not registered are skipped.
STAFF_LINKS = (
    ("volunteers.queue", _l("Hàng chờ"), FIELD_ROLES),
    ("volunteers.mine", _l("Của tôi"), FIELD_ROLES),
    ("campaigns.field", _l("Đến từng nhà"), FIELD_ROLES),
    ("phone.notifications", _l("Thông báo"), FIELD_ROLES),
    ("coordinator.map", _l("Bản đồ"), COORDINATOR_ROLES),
    ("coordinator.dashboard", _l("Tổng quan"), COORDINATOR_ROLES),
    ("coordinator.triage", _l("Chưa rõ phường"), COORDINATOR_ROLES),
    ("campaigns.index", _l("Chiến dịch"), COORDINATOR_ROLES),
    ("coordinator.people", _l("Tổ và tình nguyện viên"), COORDINATOR_ROLES),
    ("auth.logout", _l("Đăng xuất"), frozenset(Role)),
)


def staff_links():
    if not current_user.is_authenticated:
        return []
    endpoints = current_app.view_functions
    return [
        (endpoint, label)
        for endpoint, label, roles in STAFF_LINKS
        if current_user.role in roles and endpoint in endpoints
    ]


def staff_nav(unread_notifications=None) -> Markup:
    """The staff links as HTML, made once per role, language and application root (each
    page of a signed-in person shows them: ten lazy labels and url_for calls otherwise).
    The notifications link's unread badge is the one part asked for each time."""
    if not current_user.is_authenticated:
        return Markup("")
    from .i18n import current_language

    cache = current_app.extensions.setdefault("staff_nav", {})
    key = (current_user.role, current_language(), request.script_root)
    parts = cache.get(key)
    if parts is None:
        parts = cache[key] = _staff_nav_parts()
    head, tail = parts
    if tail is None:
        return head
    unread = unread_notifications() if unread_notifications is not None else 0
    badge = Markup(' <span class="badge" id="unread-count">%s</span>') % unread if unread else ""
    return head + badge + tail


def _staff_nav_parts() -> tuple[Markup, Markup | None]:
    """(the links up to the notifications link's label, the rest) or (all links, None)."""
    head, tail = Markup(""), None
    for endpoint, label in staff_links():
        link = Markup('<a href="%s">%s') % (url_for(endpoint), escape(str(label)))
        if tail is None:
            head += link
            if endpoint == "phone.notifications":
                tail = Markup("</a>")
            else:
                head += Markup("</a>")
        else:
            tail += link + Markup("</a>")
    return head, tail


def register(app) -> None:
    @app.context_processor
    def navigation_context():
        return {"staff_links": staff_links, "staff_nav": staff_nav, "url_endpoints": app.view_functions}


def safe_next(target: str | None) -> str | None:
    """A path on this site, or None: never another host, a scheme, or a path a browser
    would read as one ("//evil", "/\\evil")."""
    if not target or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def public_base() -> str:
    """Where residents reach the site, for absolute links on paper, in a QR code or for
    an API client: the configured public address, never the request's Host header
    (which a client chooses)."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")


def public_url(endpoint: str, **values) -> str:
    return public_base() + url_for(endpoint, **values)
