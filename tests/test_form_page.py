"""The blank request form is kept once rendered (blueprints/public/form_page.py): every
GET must still get its own CSRF token and submission key, the markup a fresh render
would give, the ward and channel of its own link, its own language, and the catalog as
it is now."""
import re

import pytest
from markupsafe import escape

from volunteer.blueprints.public import form_page
from volunteer.blueprints.public.routes import _render_blank_form
from volunteer.extensions import db

from volunteer.models import Ticket

from .factories import category, hidden_fields, submit_request_form, valid_request_form
from .queries import count_in

SELECTED_WARD = re.compile(r'<option selected value="([^"]*)">|<option value="([^"]*)" selected')


def content_of(page: str) -> str:
    """The page's content block: from the heading to the end of the form."""
    return page[page.index("<h1>"):page.index("</form>") + len("</form>")]


def selected_ward(page: str) -> str | None:
    match = SELECTED_WARD.search(page)
    return (match.group(1) or match.group(2)) if match else None


def test_each_get_has_its_own_submission_key_and_a_working_token(app, client):
    first = hidden_fields(client.get("/").get_data(as_text=True))
    second = hidden_fields(client.get("/").get_data(as_text=True))
    assert first["submission_key"] != second["submission_key"]
    assert re.fullmatch(r"[0-9a-f]{32}", second["submission_key"])
    # Another browser (another session) gets a token of its own, and each one works.
    other = app.test_client()
    theirs = hidden_fields(other.get("/").get_data(as_text=True))
    assert theirs["csrf_token"] != second["csrf_token"]
    assert client.post("/", data={**second, **valid_request_form()}).status_code == 302
    assert other.post("/", data={**theirs, **valid_request_form(phone="0913 000 111")}).status_code == 302
    assert count_in(app, Ticket) == 2


def test_the_kept_markup_is_what_the_template_renders(app, client):
    """For every link shape, the kept form with this GET's values filled in is exactly
    what rendering public/_ask_form.html through WTForms gives."""
    for url, ward, via in (("/", None, ""), ("/?ward=19342:2008&via=qr", "19342:2008", "qr"),
                           ("/?via=qr", None, "qr"), ("/?ward=19342:2008", "19342:2008", "")):
        for _ in range(2):  # rendered, then kept
            page = client.get(url).get_data(as_text=True)
            hidden = hidden_fields(page)
            with app.test_request_context(url):
                fresh = str(_render_blank_form(ward, via, hidden["csrf_token"], hidden["submission_key"]))
            assert content_of(page) == content_of(fresh)


def test_a_poster_link_does_not_leak_its_ward_or_channel_into_the_plain_form(client):
    assert selected_ward(client.get("/?ward=19342:2008&via=qr").get_data(as_text=True)) == "19342:2008"
    plain = client.get("/").get_data(as_text=True)
    assert selected_ward(plain) is None and hidden_fields(plain)["via"] == ""
    assert selected_ward(client.get("/?ward=19336:2008").get_data(as_text=True)) == "19336:2008"
    assert hidden_fields(client.get("/?via=qr").get_data(as_text=True))["via"] == "qr"
    assert selected_ward(client.get("/?ward=nonsense").get_data(as_text=True)) is None


def test_each_language_gets_its_own_form(client):
    vietnamese = client.get("/").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/").get_data(as_text=True)
    assert "Bạn cần hỗ trợ việc gì?" in vietnamese and "Bạn cần hỗ trợ việc gì?" not in english
    assert 'data-locating="Đang lấy vị trí…"' in vietnamese
    assert 'data-locating="Đang lấy vị trí…"' not in english
    client.get("/lang/vi")
    assert content_of(client.get("/").get_data(as_text=True)).count("Bạn cần hỗ trợ việc gì?") == 1


def test_a_category_changed_in_the_database_shows_at_once(app, client):
    """The kept form follows the catalog: a renamed or retired category is not offered
    from a stale copy."""
    page = client.get("/").get_data(as_text=True)
    with app.app_context():
        vneid = category("vneid")
        old_label = str(escape(vneid.name_vi))
        assert old_label in page
        vneid.name_vi = "VNeID (nhãn mới)"
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "VNeID (nhãn mới)" in page and old_label not in page
    with app.app_context():
        category("vneid").active = False
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'value="vneid"' not in page
    # And a submission naming it is refused, with the form again.
    assert submit_request_form(client).status_code == 400


def test_the_kept_form_needs_both_values(app):
    """A template that lost the submission key (or the token) fails loudly rather than
    serving a form no submission could pass."""
    with app.test_request_context("/"), pytest.raises(RuntimeError):
        form_page.blank_form(lambda *_: "<form></form>", None, "", "abc")
    with app.test_request_context("/"), pytest.raises(RuntimeError):
        form_page.blank_form(lambda *_: f"<form>{form_page.KEY_SLOT}</form>", "x", "", "abc")


def test_the_catalogs_own_reload_keeps_the_kept_form(app, client):
    """The catalog's copy expires every minute; reloaded unchanged, the kept form stays
    (and is then checked by identity again), rather than being rendered anew."""
    from volunteer import catalog

    client.get("/")
    kept = app.extensions[form_page._KEY]
    pages = dict(kept.pages)
    with app.app_context():
        catalog.forget()
    client.get("/")
    assert app.extensions[form_page._KEY] is kept and kept.pages == pages
    with app.app_context():
        assert kept.wards is catalog.wards() and kept.categories is catalog.active_categories()
