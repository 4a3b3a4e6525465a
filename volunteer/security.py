"""Per-request security: a CSP nonce for our inline scripts and the response headers."""
import secrets

from flask import abort, g, request


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str, tile_origin: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: {tile_origin}".strip(),
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc
    if "{s}." in url:
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


def trust_proxy(app) -> None:
    """Behind PROXY_HOPS reverse proxies, take the client address and scheme from
    exactly that many X-Forwarded-* entries: a client adding its own header cannot
    pose as another address (and dodge a rate limit), because only the hops we trust
    are read. The proxy sets Host itself, so X-Forwarded-Host is not read."""
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0,
                                x_prefix=0)


def _carries_nul() -> bool:
    # In the raw query string a NUL can only be "%00" (or a raw byte), and the path's
    # view arguments are decoded from request.path: no need to parse either.
    query = request.query_string
    if b"\x00" in query or b"%00" in query or "\x00" in request.path:
        return True
    values = []
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values = list(request.form.values())
    if any(isinstance(v, str) and "\x00" in v for v in values):
        return True
    if request.is_json:
        raw = request.get_data(cache=True)
        return b"\x00" in raw or b"\\u0000" in raw
    return False


def refuse_nul_bytes():
    """No person types a NUL character; PostgreSQL refuses to store one (a 500 if it got
    that far) and SQLite would store it silently. Hostile input: a plain 400."""
    if _carries_nul():
        abort(400)


# The resident's own pages: the confirmation, the status, the cancel step.
RESIDENT_PAGES = frozenset({"public.submitted", "public.track", "public.track_ticket",
                            "public.confirm_cancel", "public.resident_action"})


def shows_personal_data() -> bool:
    """A signed-in user's page, a resident's own page, or the answer to a form (which may
    show back what was typed): no copy may stay in a shared phone's or a proxy's cache."""
    user = g.get("_login_user")  # only a user already loaded: never a query here
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if request.endpoint == "static":
        return False
    return signed_in or request.endpoint in RESIDENT_PAGES or request.method != "GET"


def register(app) -> None:
    trust_proxy(app)
    app.before_request(refuse_nul_bytes)
    tile_origin = _origin(app.config.get("TILE_URL", ""))
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    # The same on every response but for the nonce: built once, around a placeholder.
    before_nonce, _, after_nonce = content_security_policy("\0", tile_origin).partition("\0")
    # A response that is not a page and drew no nonce (JSON, a probe, a file, a worker
    # script) has no inline script to allow: the policy without a nonce, no random draw.
    without_nonce = before_nonce.replace(" 'nonce-", "") + after_nonce.lstrip("'")
    fixed = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
             ("X-Frame-Options", "DENY"))

    def security_headers(response):
        headers = response.headers
        # One pass over what the view set, then plain additions: a lookup and a
        # replace per header cost more than the rest of a probe's hooks together.
        present = {name.lower() for name in headers.keys()}
        if "content-security-policy" not in present:
            nonce = g.get("csp_nonce")
            if nonce is None and response.mimetype == "text/html":
                nonce = csp_nonce()
            headers.add("Content-Security-Policy",
                        without_nonce if nonce is None else before_nonce + nonce + after_nonce)
        for name, value in fixed:
            if name.lower() not in present:
                headers.add(name, value)
        if shows_personal_data():
            headers["Cache-Control"] = "no-store"
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    app.after_request(security_headers)
    if hasattr(app, "after_probe"):
        app.after_probe(security_headers)
