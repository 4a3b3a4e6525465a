from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ... import lifecycle, queues
from ...forms import CoordinateFields, Form
from ...limits import NOTE_MAX

MAX_PAGE = 10_000

# One term per status: the filter says what the status label says.
STATUS_FILTERS = {
    **{status: lifecycle.STATUS_LABELS[status] for status in queues.QUEUE_STATUSES},
    "open": _l("Tất cả đang mở"),
}
ORDER_LABELS = {
    "newest": _l("Mới nhất trước"),
    "oldest": _l("Cũ nhất trước"),
    "nearest": _l("Gần tôi nhất"),
}


def choices_of(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class QueueFilterForm(CoordinateFields):
    """The queue's filters, read from the query string (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    errors_to_show: tuple = ()

    status = SelectField(_l("Trạng thái"), choices=choices_of(STATUS_FILTERS), default="new",
                         invalid_choice_message=_l("Trạng thái không hợp lệ."))
    category = SelectField(_l("Nội dung"), default="",
                           invalid_choice_message=_l("Nội dung không hợp lệ."))
    order = SelectField(_l("Sắp xếp"), choices=choices_of(ORDER_LABELS), default="newest",
                        invalid_choice_message=_l("Cách sắp xếp không hợp lệ."))
    page = StringField(default="1")

    def validate_page(self, field):
        raw = (field.data or "1").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
            raise ValidationError(_l("Số trang không hợp lệ."))

    def page_number(self) -> int:
        raw = (self.page.data or "1").strip()
        return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE else 1

    def statuses(self) -> tuple[str, ...]:
        if self.status.data == "open":
            return queues.QUEUE_STATUSES
        return (self.status.data,)


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
        invalid_choice_message=_l("Kết quả cuộc gọi không hợp lệ."),
        validators=[Optional()],
    )


class ResolveForm(NoteForm):
    outcome = RadioField(
        _l("Kết quả hỗ trợ"),
        choices=choices_of(lifecycle.RESOLVE_OUTCOME_LABELS),
        invalid_choice_message=_l("Kết quả hỗ trợ không hợp lệ."),
        validators=[Optional()],
    )


class AssignForm(NoteForm):
    """A team lead hands a ticket to a member of the team."""

    assignee = SelectField(_l("Giao cho"), validators=[Optional()],
                           invalid_choice_message=_l("Vui lòng chọn một thành viên của tổ."))
