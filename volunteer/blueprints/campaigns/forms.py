from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, DateField, HiddenField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ...forms import Form, parse_coordinate
from ...phones import InvalidPhone, normalize_phone


class CampaignForm(Form):
    """A new campaign. Targets per ward are read from target_<ward id> inputs, which
    default to the ward's household count."""

    name = StringField(_l("Tên chiến dịch"), validators=[
        InputRequired(message=_l("Vui lòng nhập tên chiến dịch.")), Length(max=160)])
    categories = SelectMultipleField(
        _l("Nội dung trọng tâm"), coerce=int,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[InputRequired(message=_l("Vui lòng chọn ít nhất một nội dung."))])
    starts_on = DateField(_l("Ngày bắt đầu"), validators=[
        InputRequired(message=_l("Vui lòng chọn ngày bắt đầu."))])
    ends_on = DateField(_l("Ngày kết thúc"), validators=[
        InputRequired(message=_l("Vui lòng chọn ngày kết thúc."))])

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Ngày kết thúc phải sau ngày bắt đầu."))



class VisitForm(Form):
    """One door, in a few taps."""

    campaign = HiddenField()
    ward = SelectField(_l("Phường"), coerce=int, validate_choice=True)
    street = StringField(_l("Đường / tổ dân phố"), validators=[Optional(), Length(max=160)])
    household = StringField(_l("Số nhà hoặc tên hộ"), validators=[
        InputRequired(message=_l("Vui lòng nhập địa chỉ hoặc tên hộ.")), Length(max=200)])
    outcome = RadioField(_l("Kết quả"), validators=[
        InputRequired(message=_l("Vui lòng chọn kết quả."))])
    helped_with = SelectMultipleField(
        _l("Đã hỗ trợ việc gì"), coerce=int,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[Optional()])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=500)])
    resident_name = StringField(_l("Họ tên người cần hỗ trợ thêm"), validators=[Optional(), Length(max=120)])
    resident_phone = StringField(_l("Số điện thoại để tổ gọi lại"), validators=[Optional(), Length(max=30)])
    consent = BooleanField(_l("Người dân đồng ý để tổ dùng họ tên, số điện thoại, địa chỉ để liên hệ hỗ trợ"))
    lat = HiddenField()
    lon = HiddenField()
    location_source = HiddenField()

    def validate_resident_phone(self, field):
        if self.outcome.data != "needs_follow_up":
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Cần số điện thoại của người dân để tổ liên hệ lại."))
        try:
            self.normalized_phone = normalize_phone(field.data)
        except InvalidPhone as error:
            raise ValidationError(error.message)

    def validate_consent(self, field):
        if self.outcome.data == "needs_follow_up" and not field.data:
            raise ValidationError(_l("Cần sự đồng ý của người dân để tạo yêu cầu hỗ trợ."))

    def validate_lat(self, field):
        self.lat_value = parse_coordinate(field.data, -90, 90)

    def validate_lon(self, field):
        self.lon_value = parse_coordinate(field.data, -180, 180)

    def coordinates(self):
        lat, lon = getattr(self, "lat_value", None), getattr(self, "lon_value", None)
        return (lat, lon) if lat is not None and lon is not None else (None, None)


class TargetForm(Form):
    """Only CSRF: the targets come as target_<ward id> numbers."""
