"""The GeoReport v2 surface, in one place. Each view checks, calls volunteer.open311,
commits at most once, and answers in the format its URL ends with."""
from contextlib import contextmanager
from functools import wraps

from flask import Response, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ... import api_keys, catalog, open311
from ...open311 import documents, formats, intake, public_view, queries
from ...extensions import db, limiter
from ...i18n import current_language
from ...navigation import public_base
from . import bp

FMT = "<any(xml, json):fmt>"
CHANGESET = "2026-11-29 00:00"  # when the API or the service definitions' shape last changed
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def post_limit() -> str:
    return current_app.config.get("OPEN311_POST_LIMIT") or "60 per minute"


def read_limit() -> str:
    return current_app.config.get("OPEN311_READ_LIMIT") or "120 per minute"


def presented_api_key() -> str | None:
    # The spec sends it in the body; some clients put it in the query string.
    form = request.form if request.mimetype == intake.FORM_MIMETYPE else {}
    return form.get("api_key") or request.args.get("api_key")


def bad_key_limit() -> str:
    return current_app.config.get("OPEN311_BAD_KEY_LIMIT") or "10 per minute;50 per hour"


def bad_key_identity() -> str:
    return "open311-bad-key:" + (get_remote_address() or "")


def key_refused(response) -> bool:
    """Only missing or wrong keys count: guessing keys, or a client misconfigured into
    a loop, is slowed per address; a partner's real traffic is limited by its key."""
    return response.status_code == 403


def api_key_identity() -> str:
    """Rate-limit POSTs per key (by its hash: never keep a secret in Redis)."""
    presented = presented_api_key()
    if presented and len(presented) <= api_keys.MAX_PRESENTED_LENGTH:
        return "open311-key:" + api_keys.fingerprint(presented.strip())
    return "open311-ip:" + (get_remote_address() or "")


def api_locale() -> str | None:
    """`locale=en` (or en-US, vi_VN) wins over Accept-Language, which i18n reads."""
    raw = (request.args.get("locale") or "").strip().replace("_", "-").split("-")[0].lower()
    return raw if raw in current_app.config["LANGUAGES"] else None


@contextmanager
def localized():
    chosen = api_locale()
    if chosen is None:
        yield
        return
    with force_locale(chosen):
        yield


def localized_view(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        with localized():
            return view(*args, **kwargs)

    return wrapper


def response_format() -> str:
    """The format a URL asks for; XML, the spec's required one, when it names none."""
    return "json" if request.path.lower().endswith(".json") else "xml"


def respond(fmt: str, root: str, data, status: int = 200) -> Response:
    body = formats.to_xml(root, data) if fmt == "xml" else formats.to_json(data)
    response = Response(body, status=status, content_type=open311.FORMATS[fmt])
    response.vary.add("Accept-Language")  # names and messages follow it
    return response


def zipcode() -> str | None:
    return current_app.config.get("OPEN311_ZIPCODE") or None


@bp.before_request
def check_jurisdiction():
    given = request.args.get("jurisdiction_id")
    if given is None and request.method == "POST" and request.mimetype == intake.FORM_MIMETYPE:
        given = request.form.get("jurisdiction_id")
    with localized():
        documents.check_jurisdiction(given, current_app.config["OPEN311_JURISDICTION_ID"])


def read_route(rule: str):
    """A GET of the API: limited per client address, answered in the asked language."""
    def register(view):
        return bp.get(rule)(limiter.limit(read_limit)(localized_view(view)))
    return register


@read_route(f"/discovery.{FMT}")
def discovery(fmt):
    document = documents.discovery_document(
        url=public_base() + bp.url_prefix,
        changeset=current_app.config.get("OPEN311_CHANGESET") or CHANGESET,
        contact=current_app.config.get("OPEN311_CONTACT") or _(
            "Liên hệ điều phối viên của hệ thống hỗ trợ chuyển đổi số (Thành đoàn Đông Hà) để được hỗ trợ."
        ),
        key_service=current_app.config.get("OPEN311_KEY_SERVICE") or _(
            "Khoá API chỉ cấp cho tổ chức cam kết đã có sự đồng ý của người dân về việc chia sẻ "
            "thông tin; liên hệ điều phối viên để được cấp."
        ),
        endpoint_type=current_app.config.get("OPEN311_ENDPOINT_TYPE") or "production",
    )
    return respond(fmt, "discovery", document)


@read_route(f"/services.{FMT}")
def services(fmt):
    document = documents.services_document(catalog.categories(), current_language())
    return respond(fmt, "services", document)


@read_route(f"/services/<service_code>.{FMT}")
def service_definition(service_code, fmt):
    category = documents.category_for(service_code)
    return respond(fmt, "service_definition", documents.service_definition(category, documents.all_wards()))


@bp.post(f"/requests.{FMT}")
@limiter.limit(post_limit, key_func=api_key_identity)
@limiter.limit(bad_key_limit, key_func=bad_key_identity, deduct_when=key_refused)
@localized_view
def create_request(fmt):
    intake.require_form_encoding(request.mimetype)
    presented = presented_api_key()
    if not presented:
        raise open311.Open311Error(403, _("Thiếu api_key: cần khoá API để gửi yêu cầu."))
    key = api_keys.authenticate(presented)
    if key is None:
        raise open311.Open311Error(403, _("api_key không hợp lệ hoặc đã bị thu hồi."))
    submission = intake.parse_submission(request.form, key)
    ticket, created = intake.submit(submission)
    db.session.commit()
    return respond(fmt, "service_requests", [intake.receipt(ticket, submission.account_id)],
                   201 if created else 200)


@read_route(f"/requests.{FMT}")
def list_requests(fmt):
    found = queries.find_requests(queries.parse_query(request.args))
    return respond(fmt, "service_requests", public_view.requests_document(found, current_language(), zipcode()))


@read_route(f"/requests/<service_request_id>.{FMT}")
def show_request(service_request_id, fmt):
    ticket = queries.find_request(service_request_id)
    document = public_view.requests_document([ticket], current_language(), zipcode())
    return respond(fmt, "service_requests", document)


@read_route(f"/tokens/<token>.{FMT}")
def token(token, fmt):
    # Requests are created synchronously, so a token is the request id itself and
    # resolves at once.
    ticket = queries.find_request(token)
    return respond(fmt, "service_requests", public_view.token_document(ticket, token))


@bp.route("/", defaults={"rest": ""}, methods=ALL_METHODS)
@bp.route("/<path:rest>", methods=ALL_METHODS)
def elsewhere(rest):
    """Anything else under /open311/v2: a 404, or a 405 where the path exists for
    another method, answered here so the spec's error format applies (routing errors
    never reach a blueprint's handlers)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = set()
    for method in ("GET", "POST"):
        try:
            rule, _args = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint != request.endpoint:
            allowed |= rule.methods or set()
    if allowed and request.method not in allowed:
        raise MethodNotAllowed(valid_methods=sorted(allowed))
    raise NotFound()
