"""What residents read: SMS texts (Vietnamese without diacritics, one 160-character
GSM-7 segment), e-mails, and the parameters of Zalo ZNS templates (their wording is
registered at Zalo). Never the description or anyone's personal data: a reference,
a team's name, at most a volunteer's first name, and the link to the ticket's page
(tracking, the yes/no answer, stopping messages)."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _

SMS_LIMIT = 160
# GSM 03.38 basic character set (without the escape-table characters, which cost two).
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
TEMPLATES = ("received", "taken", "resolved", "reminder", "cancelled", "merged")


def without_diacritics(text: str) -> str:
    """Vietnamese as people type it in SMS: "Đã nhận" -> "Da nhan"; anything else that
    GSM-7 lacks becomes "?"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return "".join(c if c in GSM7 and c.isascii() else "?" for c in bare)


def first_name(full_name: str | None) -> str:
    """A Vietnamese name's given name is its last word ("Trần Thị Ánh" -> "Ánh")."""
    words = (full_name or "").split()
    return words[-1] if words else ""


def _sms_sentences(template: str) -> str:
    """The SMS of a template, before its link; %(team)s and %(name)s may be shortened."""
    return {
        "received": _("%(brand)s: Da nhan YC %(ref)s. %(team)s se goi ban trong 1-2 ngay."),
        "taken": _("%(brand)s: TNV %(name)s (%(team)s) da nhan YC %(ref)s, se lien he ban."),
        "resolved": _("%(brand)s: YC %(ref)s da xu ly. Da duoc ho tro xong chua?"),
        "reminder": _("%(brand)s: Nhac lai: YC %(ref)s da duoc ho tro xong chua?"),
        "cancelled": _("%(brand)s: YC %(ref)s da huy."),
        "merged": _("%(brand)s: YC %(ref)s trung voi %(other)s, duoc theo doi chung."),
    }[template]


QUESTIONS = ("resolved", "reminder")
STOP_WORDS = {"STOP", "TU CHOI", "TUCHOI", "HUY", "NGUNG"}


def says_stop(text: str | None) -> bool:
    """A message to the service number asking to stop: a stop word alone, or after the
    service's keyword (on a shared short code the first word names the service)."""
    words = without_diacritics(text or "").upper().split()
    return " ".join(words) in STOP_WORDS or " ".join(words[1:]) in STOP_WORDS


def _sms_link(template: str, stop_number: str | None) -> str:
    """The link, and how to stop: the link's page always; "STOP" to the gateway's
    service number where it passes such messages on to us. A Brandname SMS cannot be
    answered, so the text names the number (eSMS: a short code such as 8079)."""
    if template in QUESTIONS:
        return (_("Tra loi: %(link)s. Soan STOP gui %(number)s") if stop_number
                else _("Tra loi/ngung tin: %(link)s"))
    return (_("Xem: %(link)s. Soan STOP gui %(number)s") if stop_number
            else _("Xem/ngung tin: %(link)s"))


def sms_team(name: str | None) -> str:
    """A team's name as an SMS can afford it: "Tổ công nghệ số cộng đồng Phường 1" ->
    "To CNS Phuong 1"."""
    bare = without_diacritics(name or "To CNS")
    prefix = "to cong nghe so cong dong"
    return "To CNS" + bare[len(prefix):] if bare.lower().startswith(prefix) else bare


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def sms_text(template: str, params: dict, locale: str, *, brand: str, link: str,
             stop_number: str | None = None) -> str:
    """The SMS, fitted to one GSM-7 segment by shortening the volunteer's name (to
    NAME_MAX) and then the team's; a text that cannot fit even so raises ValueError."""
    with force_locale(locale):
        pattern = _sms_sentences(template) + " " + _sms_link(template, stop_number)
    values = {key: without_diacritics(str(value)) for key, value in {
        "brand": brand, "ref": params.get("ref", ""), "other": params.get("other", ""),
        "link": link, "team": sms_team(params.get("team")), "name": params.get("name") or "",
        "number": stop_number or "",
    }.items()}
    room = SMS_LIMIT - len(without_diacritics(pattern % {**values, "team": "", "name": ""}))
    if room < 0:
        raise ValueError("SMS text does not fit one segment; shorten PUBLIC_BASE_URL or the brand")
    if "%(name)s" in pattern:
        values["name"] = _shortened(values["name"], min(room, NAME_MAX))
        room -= len(values["name"])
    values["team"] = _shortened(values["team"], room) if "%(team)s" in pattern else ""
    return without_diacritics(pattern % values)


NAME_MAX = 12


def _shortened(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    return text[:room - 1].rstrip() + "." if room > 1 else ""


def email(template: str, params: dict, locale: str, *, link: str) -> Email:
    with force_locale(locale):
        reference = params.get("ref", "")
        stop = _("Không muốn nhận thêm thư về yêu cầu này? Mở liên kết trên và chọn “Ngừng nhận tin”.")
        subject, lines = {
            "received": (_("Đã nhận yêu cầu %(ref)s", ref=reference), [
                _("Chúng tôi đã nhận yêu cầu hỗ trợ %(ref)s của bạn.", ref=reference),
                _("%(team)s sẽ gọi lại cho bạn trong 1–2 ngày để hẹn giờ hỗ trợ.",
                  team=params.get("team") or _("Tổ công nghệ số cộng đồng")),
            ]),
            "taken": (_("Yêu cầu %(ref)s đã có tình nguyện viên nhận", ref=reference), [
                _("Tình nguyện viên %(name)s của %(team)s đã nhận yêu cầu %(ref)s và sẽ liên hệ "
                  "với bạn.", name=params.get("name") or "", team=params.get("team") or "",
                  ref=reference),
            ]),
            "resolved": (_("Yêu cầu %(ref)s: Đã được hỗ trợ xong chưa?", ref=reference), [
                _("Tình nguyện viên đã ghi nhận yêu cầu %(ref)s là đã giải quyết.", ref=reference),
                _("Đã được hỗ trợ xong chưa?"),
                _("Có, đã xong: %(link)s", link=f"{link}/yes"),
                _("Chưa, vẫn chưa giải quyết được: %(link)s", link=f"{link}/no"),
            ]),
            "reminder": (_("Nhắc lại: yêu cầu %(ref)s đã được hỗ trợ xong chưa?", ref=reference), [
                _("Đã được hỗ trợ xong chưa?"),
                _("Có, đã xong: %(link)s", link=f"{link}/yes"),
                _("Chưa, vẫn chưa giải quyết được: %(link)s", link=f"{link}/no"),
            ]),
            "cancelled": (_("Yêu cầu %(ref)s đã được huỷ", ref=reference), [
                _("Yêu cầu hỗ trợ %(ref)s đã được huỷ.", ref=reference),
            ]),
            "merged": (_("Yêu cầu %(ref)s được gộp vào %(other)s", ref=reference,
                         other=params.get("other", "")), [
                _("Yêu cầu %(ref)s trùng với yêu cầu %(other)s và được theo dõi chung ở đó.",
                  ref=reference, other=params.get("other", "")),
            ]),
        }[template]
        body = "\n\n".join([*lines, _("Theo dõi yêu cầu: %(link)s", link=link), stop])
    return Email(subject=subject, body=body + "\n")


def zns_data(params: dict, link: str) -> dict:
    """The parameters every ZNS template of ours is registered with."""
    return {"ma_yeu_cau": params.get("ref", ""), "to_ho_tro": params.get("team") or "",
            "tinh_nguyen_vien": params.get("name") or "", "yeu_cau_goc": params.get("other", ""),
            "duong_dan": link}
