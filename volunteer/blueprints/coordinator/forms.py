from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ...forms import DayField, Form
from ...limits import REFERENCE_TYPED_MAX, SHORT_NOTE_MAX
from ...wards import HOUSEHOLDS_MAX


class FilterForm(Form):
    """The map's and dashboard's filters, read from the query string (no CSRF: GET)."""

    class Meta:
        csrf = False

    measure = SelectField(_l("Tô màu phường theo"), validate_choice=True)
    category = SelectField(_l("Nội dung"), validate_choice=True, default="")
    status = SelectField(_l("Trạng thái"), validate_choice=True, default="")
    campaign = SelectField(_l("Chiến dịch"), validate_choice=True, default="")
    start = DayField(_l("Từ ngày"), validators=[Optional()])
    end = DayField(_l("Đến ngày"), validators=[Optional()])
    order = SelectField(_l("Khi có quá nhiều điểm, hiển thị"), validate_choice=True, default="newest")
    resolved_days = IntegerField(_l("Đã giải quyết trong (ngày)"), default=7,
                                 validators=[Optional(), NumberRange(min=1, max=90,
                                             message=_l("Từ %(min)s đến %(max)s ngày."))])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("Ngày kết thúc phải sau ngày bắt đầu."))


class ReassignForm(Form):
    team = SelectField(_l("Chuyển cho tổ"), coerce=int, validate_choice=True,
                       validators=[InputRequired(message=_l("Vui lòng chọn tổ."))])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=SHORT_NOTE_MAX)])


class MergeForm(Form):
    reference = StringField(_l("Mã yêu cầu giữ lại"), validators=[
        InputRequired(message=_l("Vui lòng nhập mã yêu cầu bị trùng.")), Length(max=REFERENCE_TYPED_MAX)])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=SHORT_NOTE_MAX)])


class WardForm(Form):
    ward = SelectField(_l("Phường"), coerce=int, validate_choice=True,
                       validators=[InputRequired(message=_l("Vui lòng chọn phường."))])


class NoteForm(Form):
    """Return to queue, close: one button and an optional note."""

    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=SHORT_NOTE_MAX)])


class HouseholdsForm(Form):
    households = IntegerField(_l("Số hộ"), validators=[
        InputRequired(message=_l("Vui lòng nhập số hộ.")),
        NumberRange(min=0, max=HOUSEHOLDS_MAX, message=_l("Số hộ không hợp lệ."))])


class UserForm(Form):
    """Only presence is checked here: the lengths, the phone, the e-mail and the password
    rules are `accounts.create_user`'s, the same for the shell, and its refusals come
    back on these fields."""

    name = StringField(_l("Họ và tên"), validators=[InputRequired(message=_l("Vui lòng nhập họ tên."))])
    phone = StringField(_l("Số điện thoại"), validators=[
        InputRequired(message=_l("Vui lòng nhập số điện thoại."))])
    email = StringField(_l("E-mail (không bắt buộc)"))
    role = SelectField(_l("Vai trò"), validate_choice=True)
    team = SelectField(_l("Tổ"), coerce=int, validate_choice=True)
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[
        InputRequired(message=_l("Vui lòng nhập mật khẩu."))])


class MoveForm(Form):
    team = SelectField(_l("Chuyển sang tổ"), coerce=int, validate_choice=True)


class RoleForm(Form):
    role = SelectField(_l("Vai trò"), validate_choice=True)


class ActiveForm(Form):
    active = HiddenField()


class ExportForm(Form):
    """POSTed from the dashboard; the filters ride along as hidden fields."""

    kind = HiddenField()
    category = HiddenField()
    status = HiddenField()
    campaign = HiddenField()
    start = HiddenField()
    end = HiddenField()
    personal = BooleanField(_l("Kèm dữ liệu cá nhân (họ tên, số điện thoại, địa chỉ) — sẽ được ghi "
                               "vào nhật ký kiểm tra"))
