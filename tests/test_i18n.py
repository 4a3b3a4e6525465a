"""Vietnamese first, English second; dates as dd/mm/yyyy in Asia/Ho_Chi_Minh."""
from datetime import datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from volunteer.i18n import format_age, format_date, format_datetime

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def extracted_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "volunteer"), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_user_facing_string_has_an_english_translation():
    """No Vietnamese string in the code or templates is left untranslated for English readers."""
    with open(ROOT / "volunteer/translations/en/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(extracted_messages() - translated)
    assert missing == [], f"{len(missing)} untranslated, e.g. {missing[:5]} — run `make messages` and translate"


def test_dates_are_local_and_day_first():
    """20:30 UTC on New Year's Eve is already 1 January in Đông Hà."""
    moment = datetime(2025, 12, 31, 20, 30)
    assert format_date(moment) == "01/01/2026"
    assert format_datetime(moment) == "03:30 01/01/2026"


def test_age_reads_naturally(ctx):
    """A ticket from three days ago says so."""
    now = datetime(2026, 11, 29, 12, 0)
    assert format_age(datetime(2026, 11, 26, 11, 0), now) == "3 ngày trước"
    assert format_age(datetime(2026, 11, 29, 11, 58), now) == "2 phút trước"


# --- language -------------------------------------------------------------------


def test_language_switch_sticks(client):
    """Choosing English keeps English on the next pages; the next= target stays on this site."""
    response = client.get("/lang/en?next=/track")
    assert response.status_code == 302 and response.headers["Location"].endswith("/track")
    assert "Track a request" in client.get("/track").get_data(as_text=True)
    assert "Send request" in client.get("/").get_data(as_text=True)
    outside = client.get("/lang/vi?next=https://evil.example/")
    assert "evil.example" not in outside.headers["Location"]
    assert "Gửi yêu cầu" in client.get("/").get_data(as_text=True)


def test_templates_translate_in_the_locale_of_the_moment(app):
    """The templates' memoised `_()` follows the request's language and `force_locale`
    (messages to a resident in theirs), and still escapes a message's variables."""
    from flask import render_template_string
    from flask_babel import force_locale

    source = ('{% autoescape true %}{{ _("Tra cứu yêu cầu") }}|'
              '{{ _("Đã cập nhật yêu cầu %(reference)s.", reference=ref) }}{% endautoescape %}')
    with app.test_request_context():
        first = render_template_string(source, ref="<b>")
        with force_locale("en"):
            english = render_template_string(source, ref="<b>")
        again = render_template_string(source, ref="<b>")
    assert first == again == "Tra cứu yêu cầu|Đã cập nhật yêu cầu &lt;b&gt;."
    assert english.startswith("Track a request|") and "&lt;b&gt;" in english
    assert "yêu cầu" not in english
