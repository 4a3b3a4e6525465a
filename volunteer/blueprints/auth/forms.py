from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ...accounts import PASSWORD_MAX
from ...forms import Form

_PASSWORD_TOO_LONG = _l("Mật khẩu tối đa %(max)d ký tự.")


class LoginForm(Form):
    login = StringField(
        _l("Số điện thoại hoặc e-mail"),
        validators=[
            InputRequired(message=_l("Vui lòng nhập số điện thoại hoặc e-mail.")),
            Length(max=254, message=_l("Số điện thoại hoặc e-mail không hợp lệ.")),
        ],
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[
            InputRequired(message=_l("Vui lòng nhập mật khẩu.")),
            Length(max=PASSWORD_MAX, message=_l("Số điện thoại/e-mail hoặc mật khẩu không đúng.")),
        ],
    )
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"))


class LogoutForm(Form):
    """Only the CSRF token: signing out is a POST so no link or image can do it."""


class PasswordForm(Form):
    current = PasswordField(
        _l("Mật khẩu hiện tại"),
        validators=[InputRequired(message=_l("Vui lòng nhập mật khẩu hiện tại.")),
                    Length(max=PASSWORD_MAX, message=_PASSWORD_TOO_LONG)],
    )
    new = PasswordField(
        _l("Mật khẩu mới"),
        validators=[InputRequired(message=_l("Vui lòng nhập mật khẩu mới.")),
                    Length(max=PASSWORD_MAX, message=_PASSWORD_TOO_LONG)],
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            InputRequired(message=_l("Vui lòng nhập lại mật khẩu mới.")),
            EqualTo("new", message=_l("Hai mật khẩu mới không khớp nhau.")),
            Length(max=PASSWORD_MAX, message=_PASSWORD_TOO_LONG),
        ],
    )
