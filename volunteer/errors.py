"""Error pages: in the user's language, HTML for people, JSON for machines, never a
traceback."""
import logging
import traceback

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from .extensions import db


def _messages():
    return {
        400: _("Yêu cầu không hợp lệ."),
        403: _("Bạn không có quyền xem trang này."),
        404: _("Không tìm thấy trang hoặc yêu cầu này."),
        405: _("Thao tác không được hỗ trợ."),
        409: _("Thao tác không thực hiện được ở trạng thái hiện tại."),
        413: _("Dữ liệu gửi lên quá lớn."),
        429: _("Bạn thao tác quá nhiều lần. Vui lòng thử lại sau ít phút."),
        500: _("Đã có lỗi xảy ra. Vui lòng thử lại sau."),
        503: _("Hệ thống đang tạm gián đoạn. Vui lòng thử lại sau ít phút."),
    }


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: str | None = None):
    message = message or _messages().get(status, _messages()[500])
    if wants_json():
        return {"error": {"status": status, "message": message}}, status
    try:
        return render_template("errors/error.html", status=status, message=message), status
    except (OperationalError, InterfaceError):
        # The page's header asks for the signed-in user; with the database away,
        # the honest answer is the 503.
        db.session.rollback()
        return unavailable_response()


def unavailable_response():
    """The database is away: a calm page that says nothing was saved and retries by itself.

    The page is drawn as for a visitor, because loading the signed-in user would ask
    the database that just failed (and turn the 503 into a 500)."""
    from flask import g

    from .extensions import login_manager

    g._login_user = login_manager.anonymous_user()
    headers = {"Retry-After": "10", "Cache-Control": "no-store"}
    if wants_json():
        return {"error": {"status": 503, "message": _messages()[503]}}, 503, headers
    return render_template("errors/unavailable.html", message=_messages()[503],
                           retry=request.method == "GET"), 503, headers


def release_session(_error=None) -> None:
    """End the request's database session even when the connection died under it.

    When PostgreSQL restarts after a page's last query, the ROLLBACK that closes the
    session fails; left to Flask-SQLAlchemy's own teardown, that turns a page already
    computed into a 500. The pool has already discarded the dead connection (the next
    checkout replaces it), so the session is simply forgotten."""
    try:
        db.session.remove()
    except (OperationalError, InterfaceError) as error:
        logging.getLogger(__name__).warning(
            "database connection lost while closing the session: %s", type(error).__name__)
        try:
            db.session.invalidate()
        except Exception:  # the connection is gone either way; nothing more to release
            pass
        db.session.registry.clear()


def register(app) -> None:
    # Registered after Flask-SQLAlchemy's teardown, so it runs before it (Flask runs
    # teardowns in reverse); Flask-SQLAlchemy's then finds no session left to close.
    app.teardown_appcontext(release_session)
    # Migrations run in the same process (alembic's fileConfig) disable existing loggers;
    # an error the app cannot log is an error nobody hears of.
    app.logger.disabled = False

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(400, _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                                     "Vui lòng tải lại trang và gửi lại."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code in (301, 302, 303, 307, 308):
            return error
        if isinstance(error, SecurityError):
            # A Host we do not serve: no page of ours, whose links would need that host.
            return "Bad Request", 400, {"Content-Type": "text/plain; charset=utf-8"}
        return error_response(error.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        db.session.rollback()
        app.logger.warning("database unavailable: %s", type(error).__name__)
        return unavailable_response()

    @app.errorhandler(DBAPIError)
    def database_error(error):
        db.session.rollback()
        # Never the driver's message: PostgreSQL's DETAIL repeats the failing row (the
        # resident's name, phone, description). Where it failed and which rule it broke
        # are enough to find the bug; the values are hidden by hide_parameters.
        diag = getattr(error.orig, "diag", None)
        rule = " ".join(f"{name}={getattr(diag, name)}" for name in
                        ("sqlstate", "table_name", "column_name", "constraint_name")
                        if diag is not None and getattr(diag, name, None))
        app.logger.error("database error %s %s\n%s", type(error.orig).__name__, rule,
                         "".join(traceback.format_tb(error.__traceback__)))
        return error_response(500)

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500)
