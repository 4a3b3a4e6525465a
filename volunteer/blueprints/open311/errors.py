"""Every refusal under /open311/v2 in the spec's error format: an array of
{code, description} in JSON, <errors><error><code/><description/></error></errors>
in XML. Blueprint handlers come before the app's HTML/JSON pages."""
from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from ... import open311
from ...extensions import db
from . import bp
from .routes import localized, respond, response_format


def error_response(status: int, descriptions, headers=None):
    response = respond(response_format(), "errors", open311.errors_document(status, descriptions), status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _message(error: HTTPException) -> str:
    messages = {
        400: _("Yêu cầu không hợp lệ."),
        403: _("Không có quyền truy cập: thiếu hoặc sai api_key."),
        404: _("Không tìm thấy tài nguyên Open311 này. Xem các tài nguyên tại discovery.xml."),
        405: _("Phương thức %(method)s không được hỗ trợ cho tài nguyên này.", method=request.method),
        413: _("Dữ liệu gửi lên quá lớn (tối đa %(size)d KB).",
               size=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 1024),
        429: _("Gửi quá nhiều yêu cầu với khoá API này. Vui lòng thử lại sau ít phút."),
    }
    return messages.get(error.code, _("Đã có lỗi xảy ra. Vui lòng thử lại sau."))


@bp.errorhandler(open311.Open311Error)
def refused(error):
    db.session.rollback()
    return error_response(error.status_code, error.descriptions)


@bp.errorhandler(HTTPException)
def http_error(error):
    if error.code in (301, 302, 303, 307, 308):
        return error
    db.session.rollback()
    with localized():
        message = _message(error)
    # Keep Allow (405) and Retry-After (429) and the like.
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return error_response(error.code or 500, [message], headers)


@bp.errorhandler(OperationalError)
@bp.errorhandler(InterfaceError)
def database_unavailable(error):
    db.session.rollback()
    current_app.logger.warning("database unavailable: %s", type(error).__name__)
    with localized():
        message = _("Hệ thống đang tạm gián đoạn. Vui lòng thử lại sau ít phút.")
    return error_response(503, [message], {"Retry-After": "10"})


@bp.errorhandler(Exception)
def unexpected(error):
    db.session.rollback()
    current_app.logger.exception("unhandled error in the Open311 API")
    with localized():
        message = _("Đã có lỗi xảy ra. Vui lòng thử lại sau.")
    return error_response(500, [message])
