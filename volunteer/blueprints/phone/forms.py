from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ...forms import Form
from ...vocabulary import NewRequestAlerts

NEW_REQUEST_LABELS = {
    NewRequestAlerts.IMMEDIATE: _l("Báo ngay mỗi yêu cầu mới"),
    NewRequestAlerts.DIGEST: _l("Tóm tắt mỗi ngày một lần"),
    NewRequestAlerts.NEVER: _l("Không báo yêu cầu mới"),
}
HOURS = [SelectChoice("", _l("Bất kỳ giờ nào"))] + [SelectChoice(str(h), f"{h:02d}:00") for h in range(24)]


def _hour(value):
    return int(value) if value not in (None, "") else None


class AlertForm(Form):
    """What to be alerted about, and when; the device's permission is asked after."""

    new_requests = RadioField(_l("Yêu cầu mới trong hàng chờ của tổ"),
                              choices=[SelectChoice(value, label) for value, label in NEW_REQUEST_LABELS.items()],
                              validators=[InputRequired(message=_l("Vui lòng chọn một cách báo."))])
    from_hour = SelectField(_l("Chỉ báo từ"), choices=HOURS, coerce=_hour, validate_choice=False)
    to_hour = SelectField(_l("đến"), choices=HOURS, coerce=_hour, validate_choice=False)

    def validate_from_hour(self, field):
        if field.data is not None and not 0 <= field.data <= 23:
            field.data = None

    def validate_to_hour(self, field):
        if field.data is not None and not 0 <= field.data <= 23:
            field.data = None
