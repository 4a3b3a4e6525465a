from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField
from wtforms.validators import EqualTo

from ...forms import Form, required_text
from ...limits import EMAIL_MAX, PASSWORD_MAX

_PASSWORD_TOO_LONG = _l("Mật khẩu tối đa %(max)d ký tự.")


class LoginForm(Form):
    login = required_text(_l("Số điện thoại hoặc e-mail"), EMAIL_MAX,
                          _l("Vui lòng nhập số điện thoại hoặc e-mail."),
                          _l("Số điện thoại hoặc e-mail không hợp lệ."))
    password = required_text(_l("Mật khẩu"), PASSWORD_MAX, _l("Vui lòng nhập mật khẩu."),
                             _l("Số điện thoại/e-mail hoặc mật khẩu không đúng."), field=PasswordField)
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"))


class LogoutForm(Form):
    """Only the CSRF token: signing out is a POST so no link or image can do it."""


class PasswordForm(Form):
    current = required_text(_l("Mật khẩu hiện tại"), PASSWORD_MAX, _l("Vui lòng nhập mật khẩu hiện tại."),
                            _PASSWORD_TOO_LONG, field=PasswordField)
    new = required_text(_l("Mật khẩu mới"), PASSWORD_MAX, _l("Vui lòng nhập mật khẩu mới."),
                        _PASSWORD_TOO_LONG, field=PasswordField)
    confirm = required_text(_l("Nhập lại mật khẩu mới"), PASSWORD_MAX, _l("Vui lòng nhập lại mật khẩu mới."),
                            _PASSWORD_TOO_LONG, field=PasswordField,
                            validators=[EqualTo("new", message=_l("Hai mật khẩu mới không khớp nhau."))])
