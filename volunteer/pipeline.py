"""What a request goes through: Flask's own way, with a short way for the probes.

Every hook of the app runs on every request: the request id and clock, CSRF, the rate
limiter (before, after and at teardown), the NUL check, Flask-Login's remember cookie,
the phone app's offline mark, our log line, the security headers, and the session,
opened before and saved after. The proxy's and the monitor's probes (/healthz,
/readyz, `@probe`) need two of them: the security headers and the request id. They
send no cookie and get none, read no input, are never rate-limited, and the server's
own access line (gunicorn's, or werkzeug's in development) records them, so they run
only the hooks registered with `after_probe`, and no session is opened, loaded or
saved for them.

For every other request, the session's signing serializer is built once per secret
key, not twice per request as Flask does.
"""
from __future__ import annotations

import sys

from flask import Flask, request
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface
from flask.signals import request_tearing_down


def probe(view):
    """Mark a view as a probe: only the hooks registered with `after_probe` run for it."""
    view.is_probe = True
    return view


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, but for probes (none) and its serializer (kept)."""

    def __init__(self):
        self._serializer = (None, None)

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept_key, serializer = self._serializer
        if kept_key != key or serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializer = (key, serializer)
        return serializer

    def open_session(self, app, request):
        # Opened before the URL is matched: the probes are known by their paths.
        if request.path in app.probe_paths:
            return None  # Flask's NullSession: nothing loaded, nothing saved
        return super().open_session(app, request)


class App(Flask):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session_interface = CookieSessions()
        self.probe_after_request_funcs: list = []
        self._probe_endpoints: frozenset[str] | None = None
        self._probe_paths: frozenset[str] | None = None

    def after_probe(self, func):
        """Also run this after-request hook for the probes (in registration order)."""
        self.probe_after_request_funcs.append(func)
        return func

    def _find_probes(self) -> None:
        # Read once: Flask refuses new routes once the app has served a request.
        endpoints = frozenset(name for name, view in self.view_functions.items()
                              if getattr(view, "is_probe", False))
        self._probe_paths = frozenset(rule.rule for rule in self.url_map.iter_rules()
                                      if rule.endpoint in endpoints and not rule.arguments)
        self._probe_endpoints = endpoints

    @property
    def probe_paths(self) -> frozenset[str]:
        if self._probe_paths is None:
            self._find_probes()
        return self._probe_paths

    def serving_probe(self) -> bool:
        if self._probe_endpoints is None:
            self._find_probes()
        return request.endpoint in self._probe_endpoints

    def preprocess_request(self):
        if self.serving_probe():
            return None
        return super().preprocess_request()

    def process_response(self, response):
        if not self.serving_probe():
            return super().process_response(response)
        for func in request_ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        for func in self.probe_after_request_funcs:
            response = func(response)
        return response

    def do_teardown_request(self, *args, **kwargs):
        if not self.serving_probe():
            return super().do_teardown_request(*args, **kwargs)
        # The teardown hooks (the rate limiter's) belong to hooks that did not run.
        exc = args[0] if args else kwargs.get("exc", sys.exc_info()[1])
        request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)
