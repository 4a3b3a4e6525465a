from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, HiddenField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...forms import DayField, Form, LocationFields, PhoneField
from ...limits import CAMPAIGN_NAME_MAX, HOUSEHOLD_LABEL_MAX, NAME_MAX, SHORT_NOTE_MAX, STREET_MAX


class CampaignForm(Form):
    """A new campaign. Targets per ward are read from target_<ward id> inputs, which
    default to the ward's household count."""

    name = StringField(_l("Tên chiến dịch"), validators=[
        InputRequired(message=_l("Vui lòng nhập tên chiến dịch.")), Length(max=CAMPAIGN_NAME_MAX)])
    categories = SelectMultipleField(
        _l("Nội dung trọng tâm"), coerce=int,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[InputRequired(message=_l("Vui lòng chọn ít nhất một nội dung."))])
    starts_on = DayField(_l("Ngày bắt đầu"), validators=[
        InputRequired(message=_l("Vui lòng chọn ngày bắt đầu."))])
    ends_on = DayField(_l("Ngày kết thúc"), validators=[
        InputRequired(message=_l("Vui lòng chọn ngày kết thúc."))])

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Ngày kết thúc phải sau ngày bắt đầu."))


def _only_for_follow_up(form, field):
    """The callback number matters only when the visit asks for more help."""
    if form.outcome.data != "needs_follow_up":
        raise StopValidation()


class VisitForm(LocationFields):
    """One door, in a few taps."""

    campaign = HiddenField()
    ward = SelectField(_l("Phường"), coerce=int, validate_choice=True)
    street = StringField(_l("Đường / tổ dân phố"), validators=[Optional(), Length(max=STREET_MAX)])
    household = StringField(_l("Số nhà hoặc tên hộ"), validators=[
        InputRequired(message=_l("Vui lòng nhập địa chỉ hoặc tên hộ.")), Length(max=HOUSEHOLD_LABEL_MAX)])
    outcome = RadioField(_l("Kết quả"), validators=[
        InputRequired(message=_l("Vui lòng chọn kết quả."))])
    helped_with = SelectMultipleField(
        _l("Đã hỗ trợ việc gì"), coerce=int,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[Optional()])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=SHORT_NOTE_MAX)])
    resident_name = StringField(_l("Họ tên người cần hỗ trợ thêm"), validators=[Optional(), Length(max=NAME_MAX)])
    resident_phone = PhoneField(_l("Số điện thoại để tổ gọi lại"),
                                validators=[Optional(), _only_for_follow_up])
    consent = BooleanField(_l("Người dân đồng ý để tổ dùng họ tên, số điện thoại, địa chỉ để liên hệ hỗ trợ"))

    def validate_consent(self, field):
        if self.outcome.data == "needs_follow_up" and not field.data:
            raise ValidationError(_l("Cần sự đồng ý của người dân để tạo yêu cầu hỗ trợ."))


class TargetForm(Form):
    """Only CSRF: the targets come as target_<ward id> numbers."""
