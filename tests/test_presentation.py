"""What a walk through the pages asked for, checked without a browser: the QR's markup,
errors that name their fields, the counter of an over-long text, numbers and team names
in the reader's language."""
import re

import pytest
from flask import session

from tests.factories import valid_request_form
from volunteer.blueprints.public.forms import DESCRIPTION_MAX
from volunteer.i18n import format_number, format_share, team_label


def test_qr_scales_and_has_an_accessible_name(client):
    """The poster's QR is an SVG with a viewBox and no fixed size, named for screen readers."""
    html = client.get("/poster/19336:2008").get_data(as_text=True)
    svg = re.search(r"<svg [^>]*>", html).group(0)
    assert "viewBox=" in svg and "width=" not in svg and "height=" not in svg
    assert 'role="img"' in svg and 'aria-label="Mã QR mở trang gửi yêu cầu hỗ trợ cho Phường Đông Lễ"' in svg
    assert '<h1 class="poster-ward">Phường Đông Lễ</h1>' in html


def test_refused_form_names_each_field_and_marks_it(client, csrf):
    """The summary links to each refused field; the field is aria-invalid and described by its error."""
    token = csrf(client, "/")
    html = client.post("/", data={"csrf_token": token, **valid_request_form(name="")}).get_data(as_text=True)
    assert re.search(r'<div class="flash flash-error error-summary" role="alert" tabindex="-1" autofocus>', html)
    assert '<a href="#name">Họ và tên: Vui lòng nhập họ tên.</a>' in html
    name_input = re.search(r'<input [^>]*id="name"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in name_input and 'aria-describedby="name-error"' in name_input
    assert '<p class="error" id="name-error">' in html


def test_over_long_description_is_kept_counted_and_refused(client, csrf):
    """A pasted text over the limit is not cut by the browser: the server counts it and says so."""
    token = csrf(client, "/")
    pasted = "Cần hỗ trợ " * (DESCRIPTION_MAX // 5)
    response = client.post("/", data={"csrf_token": token, **valid_request_form(description=pasted)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    textarea = re.search(r"<textarea [^>]*>", html).group(0)
    assert "maxlength" not in textarea and f'data-limit="{DESCRIPTION_MAX}"' in textarea
    assert f'<span class="count">{len(pasted)}</span> / {DESCRIPTION_MAX}' in html
    assert f"Mô tả tối đa {DESCRIPTION_MAX} ký tự." in html


def test_every_page_has_a_favicon_and_a_description(client):
    """/favicon.ico answers (no console error), and pages describe themselves."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    response.close()
    assert '<meta name="description" content="' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("language, expected", [("vi", ("1.000", "13,0", "45,5%")),
                                                ("en", ("1,000", "13.0", "45.5%"))])
def test_numbers_follow_the_readers_locale(app, language, expected):
    """Counts, measures and shares in one format per language, wherever they are shown."""
    with app.test_request_context():
        session["lang"] = language
        assert (format_number(1000), format_number(13.0, 1), format_share(0.455, 1)) == expected


def test_team_names_are_translated_around_the_ward(app, client):
    """English readers get "Community digital technology team, Phường 1"; other names stay as stored."""
    with app.test_request_context():
        assert team_label("Tổ công nghệ số cộng đồng Phường 1") == "Tổ công nghệ số cộng đồng Phường 1"
    with app.test_request_context():
        session["lang"] = "en"
        assert team_label("Tổ công nghệ số cộng đồng Phường 1") == "Community digital technology team, Phường 1"
        assert team_label("Nhóm thanh niên tình nguyện") == "Nhóm thanh niên tình nguyện"
