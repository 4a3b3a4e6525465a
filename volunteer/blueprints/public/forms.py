import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import EmailField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from ...forms import TOO_LONG, Form, LocationFields, PhoneField, required_text
from ...limits import (ADDRESS_MAX, DESCRIPTION_MAX, EMAIL_MAX, NAME_MAX, NOTE_MAX, PREFERRED_TIME_MAX,
                       REFERENCE_TYPED_MAX, SUBMISSION_KEY_MAX)

_SUBMISSION_KEY = re.compile(rf"[A-Za-z0-9_-]{{8,{SUBMISSION_KEY_MAX}}}")
from ...vocabulary import NotifyChannel


class RequestForm(LocationFields):
    """The resident's request for help: everything fits on one phone screen scroll."""

    name = required_text(_l("Họ và tên"), NAME_MAX, _l("Vui lòng nhập họ tên."),
                         _l("Họ tên tối đa %(max)d ký tự."))
    phone = PhoneField(
        _l("Số điện thoại"),
        validators=[InputRequired(message=_l("Vui lòng nhập số điện thoại."))],
        too_long=_l("Số điện thoại không hợp lệ."),
    )
    ward = SelectField(_l("Phường"), validate_choice=True)
    address = StringField(
        _l("Địa chỉ (số nhà, đường, khu phố)"),
        validators=[Optional(), Length(max=ADDRESS_MAX, message=_l("Địa chỉ tối đa %(max)d ký tự."))],
    )
    category = RadioField(
        _l("Bạn cần hỗ trợ việc gì?"),
        validators=[InputRequired(message=_l("Vui lòng chọn nội dung cần hỗ trợ."))],
    )
    description = TextAreaField(
        _l("Mô tả ngắn"),
        validators=[
            Optional(),
            Length(max=DESCRIPTION_MAX, message=_l("Mô tả tối đa %(max)d ký tự.")),
        ],
    )
    needs_elderly = BooleanField(_l("Người cao tuổi"))
    needs_disability = BooleanField(_l("Người khuyết tật"))
    needs_home_visit = BooleanField(_l("Cần đến tận nhà"))
    preferred_time = StringField(
        _l("Thời gian thuận tiện"),
        validators=[Optional(), Length(max=PREFERRED_TIME_MAX, message=TOO_LONG)],
    )
    consent = BooleanField(
        _l(
            "Tôi đồng ý để tổ công nghệ số cộng đồng dùng họ tên, số điện thoại và địa chỉ "
            "của tôi chỉ để liên hệ và hỗ trợ yêu cầu này."
        ),
        validators=[DataRequired(message=_l("Cần có sự đồng ý của bạn để chúng tôi liên hệ hỗ trợ."))],
    )
    notify_channel = RadioField(
        _l("Nhận tin báo về yêu cầu qua"),
        choices=[
            SelectChoice(NotifyChannel.SMS, _l("Tin nhắn SMS đến số điện thoại trên")),
            SelectChoice(NotifyChannel.ZALO, _l("Zalo (số điện thoại trên)")),
            SelectChoice(NotifyChannel.EMAIL, _l("Thư điện tử")),
            SelectChoice(NotifyChannel.NONE, _l("Không nhận tin báo")),
        ],
        default=NotifyChannel.SMS,
        validators=[InputRequired(message=_l("Vui lòng chọn cách nhận tin báo."))],
    )
    email = EmailField(
        _l("Địa chỉ thư điện tử"),
        validators=[Optional(), Length(max=EMAIL_MAX, message=_l("Tối đa %(max)d ký tự.")),
                    Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                           message=_l("Địa chỉ thư điện tử không hợp lệ."))],
    )
    via = HiddenField()
    submission_key = HiddenField()

    def validate_submission_key(self, field):
        if field.data and not _SUBMISSION_KEY.fullmatch(field.data):
            raise ValidationError(_l("Biểu mẫu không hợp lệ. Vui lòng tải lại trang."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Optional() ends the address's own chain when it is empty, so this lives here.
        if self.needs_home_visit.data and not (self.address.data or "").strip():
            self.address.errors = [*self.address.errors,
                                   _l("Vui lòng nhập địa chỉ để tình nguyện viên đến tận nhà.")]
            valid = False
        if self.notify_channel.data == NotifyChannel.EMAIL and not (self.email.data or "").strip():
            self.email.errors = [*self.email.errors,
                                 _l("Vui lòng nhập địa chỉ thư điện tử để nhận tin báo.")]
            valid = False
        return valid

    @property
    def hidden_errors(self) -> list:
        """Errors of fields the resident cannot see (location, form key) still need saying."""
        return [error for f in (self.lat, self.lon, self.location_source, self.submission_key)
                for error in f.errors]


class TrackForm(Form):
    reference = required_text(_l("Mã yêu cầu"), REFERENCE_TYPED_MAX, _l("Vui lòng nhập mã yêu cầu."),
                              _l("Mã yêu cầu không hợp lệ."))
    phone_last4 = required_text(_l("4 số cuối điện thoại"), 4, _l("Vui lòng nhập 4 số cuối số điện thoại."),
                                _l("Vui lòng nhập đúng 4 chữ số."), exactly=True)

    def validate_phone_last4(self, field):
        if not (field.data or "").isdigit():
            raise ValidationError(_l("Vui lòng nhập đúng 4 chữ số."))


class ResidentActionForm(Form):
    note = TextAreaField(
        _l("Ghi chú (không bắt buộc)"),
        validators=[Optional(), Length(max=NOTE_MAX, message=TOO_LONG)],
    )
    rating = RadioField(
        _l("Bạn chấm mấy sao cho lần hỗ trợ này? (không bắt buộc)"),
        choices=[SelectChoice(str(stars), str(stars)) for stars in range(1, 6)],
        validators=[Optional()],
        coerce=lambda value: int(value) if value not in (None, "", "None") else None,
    )
