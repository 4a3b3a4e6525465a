from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ... import lifecycle, queues
from ...forms import Form, parse_coordinate

NOTE_MAX = 1000
MAX_PAGE = 10_000

STATUS_FILTERS = {
    "new": _l("Chờ nhận"),
    "claimed": _l("Đã có người nhận"),
    "in_progress": _l("Đang hỗ trợ"),
    "escalated": _l("Đã chuyển điều phối viên"),
    "open": _l("Tất cả đang mở"),
}
ORDER_LABELS = {
    "newest": _l("Mới nhất trước"),
    "oldest": _l("Cũ nhất trước"),
    "nearest": _l("Gần tôi nhất"),
}


def choices_of(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]



class QueueFilterForm(Form):
    """The queue's filters, read from the query string (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    errors_to_show: tuple = ()

    status = SelectField(_l("Trạng thái"), choices=choices_of(STATUS_FILTERS), default="new",
                         validate_choice=False)
    category = SelectField(_l("Nội dung"), default="", validate_choice=False)
    order = SelectField(_l("Sắp xếp"), choices=choices_of(ORDER_LABELS), default="newest",
                        validate_choice=False)
    lat = HiddenField()
    lon = HiddenField()
    page = StringField(default="1")

    def validate_page(self, field):
        raw = (field.data or "1").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
            raise ValidationError(_l("Số trang không hợp lệ."))

    def page_number(self) -> int:
        raw = (self.page.data or "1").strip()
        return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1

    def validate_status(self, field):
        if field.data not in STATUS_FILTERS:
            raise ValidationError(_l("Trạng thái không hợp lệ."))

    def validate_category(self, field):
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Nội dung không hợp lệ."))

    def validate_order(self, field):
        if field.data not in ORDER_LABELS:
            raise ValidationError(_l("Cách sắp xếp không hợp lệ."))

    def validate_lat(self, field):
        parse_coordinate(field.data, -90, 90)

    def validate_lon(self, field):
        parse_coordinate(field.data, -180, 180)

    def statuses(self) -> tuple[str, ...]:
        if self.status.data == "open":
            return queues.QUEUE_STATUSES
        return (self.status.data,)

    def position(self) -> tuple[float | None, float | None]:
        try:
            lat = parse_coordinate(self.lat.data, -90, 90)
            lon = parse_coordinate(self.lon.data, -180, 180)
        except ValidationError:
            return None, None
        if lat is None or lon is None:
            return None, None
        return lat, lon


class NoteForm(Form):
    """Claim, start, mark unreachable: one tap, a note if the volunteer wants one."""

    note = TextAreaField(
        _l("Ghi chú (không bắt buộc)"),
        validators=[Optional(), Length(max=NOTE_MAX, message=_l("Ghi chú tối đa %(max)d ký tự."))],
    )


class ReasonForm(Form):
    """Release and escalate: the lifecycle requires the reason."""

    note = TextAreaField(
        _l("Lý do"),
        validators=[Optional(), Length(max=NOTE_MAX, message=_l("Lý do tối đa %(max)d ký tự."))],
    )


class ContactForm(NoteForm):
    contact_result = RadioField(
        _l("Kết quả cuộc gọi"),
        choices=choices_of(lifecycle.CONTACT_RESULTS),
        validate_choice=False,
        validators=[Optional()],
    )

    def validate_contact_result(self, field):
        if field.data and field.data not in lifecycle.CONTACT_RESULTS:
            raise ValidationError(_l("Kết quả cuộc gọi không hợp lệ."))


class ResolveForm(NoteForm):
    outcome = RadioField(
        _l("Kết quả hỗ trợ"),
        choices=choices_of(lifecycle.RESOLVE_OUTCOME_LABELS),
        validate_choice=False,
        validators=[Optional()],
    )

    def validate_outcome(self, field):
        if field.data and field.data not in lifecycle.RESOLVE_OUTCOME_LABELS:
            raise ValidationError(_l("Kết quả hỗ trợ không hợp lệ."))


class AssignForm(NoteForm):
    """A team lead hands a ticket to a member of the team."""

    assignee = SelectField(_l("Giao cho"), validate_choice=False, validators=[Optional()])

    def validate_assignee(self, field):
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Vui lòng chọn một thành viên của tổ."))
