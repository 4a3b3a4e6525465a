"""The project's base form: WTForms' built-in messages in the user's language.

WTForms ships no Vietnamese catalog, so its English messages are mapped to our own
Vietnamese msgids, which the app's catalog translates back for English readers."""
import math

from flask_babel import gettext, lazy_gettext as _l, ngettext
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField, TelField
from wtforms.validators import InputRequired, Length, ValidationError

from .limits import PHONE_TYPED_MAX
from .phones import InvalidPhone, normalize_phone

LOCATION_SOURCES = ("device", "map_pin")
LATITUDE_RANGE = (-90, 90)
LONGITUDE_RANGE = (-180, 180)

_MESSAGES = {
    "This field is required.": _l("Vui lòng điền mục này."),
    "Invalid input.": _l("Dữ liệu không hợp lệ."),
    "Invalid email address.": _l("Địa chỉ e-mail không hợp lệ."),
    "Invalid URL.": _l("Địa chỉ web không hợp lệ."),
    "Not a valid choice.": _l("Lựa chọn không hợp lệ."),
    "Invalid Choice: could not coerce.": _l("Lựa chọn không hợp lệ."),
    "Choices cannot be None.": _l("Lựa chọn không hợp lệ."),
    "Invalid choice(s): one or more data inputs could not be coerced.": _l("Lựa chọn không hợp lệ."),
    "Not a valid datetime value.": _l("Ngày giờ không hợp lệ."),
    "Not a valid date value.": _l("Ngày không hợp lệ."),
    "Not a valid time value.": _l("Giờ không hợp lệ."),
    "Not a valid integer value.": _l("Vui lòng nhập một số nguyên."),
    "Not a valid decimal value.": _l("Vui lòng nhập một số."),
    "Not a valid float value.": _l("Vui lòng nhập một số."),
    "Number must be at least %(min)s.": _l("Số phải từ %(min)s trở lên."),
    "Number must be at most %(max)s.": _l("Số không được quá %(max)s."),
    "Number must be between %(min)s and %(max)s.": _l("Số phải nằm trong khoảng %(min)s đến %(max)s."),
    "Field must be between %(min)d and %(max)d characters long.": _l("Độ dài phải từ %(min)d đến %(max)d ký tự."),
    "Field must be equal to %(other_name)s.": _l("Hai mục không khớp nhau."),
    "Invalid CSRF Token.": _l("Biểu mẫu đã hết hạn. Vui lòng tải lại trang."),
    "CSRF token missing.": _l("Biểu mẫu đã hết hạn. Vui lòng tải lại trang."),
    "CSRF failed.": _l("Biểu mẫu đã hết hạn. Vui lòng tải lại trang."),
    "CSRF token expired.": _l("Biểu mẫu đã hết hạn. Vui lòng tải lại trang."),
    "The CSRF token is missing.": _l("Biểu mẫu đã hết hạn. Vui lòng tải lại trang."),
    "The CSRF token has expired.": _l("Biểu mẫu đã hết hạn. Vui lòng tải lại trang."),
    "The CSRF token is invalid.": _l("Biểu mẫu đã hết hạn. Vui lòng tải lại trang."),
}
_PLURAL_MESSAGES = {
    "Field must be at least %(min)d character long.": _l("Tối thiểu %(min)d ký tự."),
    "Field cannot be longer than %(max)d character.": _l("Tối đa %(max)d ký tự."),
    "Field must be exactly %(max)d character long.": _l("Phải đúng %(max)d ký tự."),
}


class _Translations:
    def gettext(self, string):
        message = _MESSAGES.get(string)
        return str(message) if message is not None else gettext(string)

    def ngettext(self, singular, plural, n):
        message = _PLURAL_MESSAGES.get(singular)
        return str(message) if message is not None else ngettext(singular, plural, n)


_translations = _Translations()


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _translations


TOO_LONG = _l("Tối đa %(max)d ký tự.")


def required_text(label, limit: int, missing, too_long=TOO_LONG, *, field=StringField,
                  exactly: bool = False, validators=()):
    """A field that must be filled and fits its column (limit comes from volunteer/limits.py;
    WTForms renders it as maxlength). `exactly` asks for exactly `limit` characters."""
    length = Length(min=limit if exactly else -1, max=limit, message=too_long)
    return field(label, validators=[InputRequired(message=missing), length, *validators])


def parse_coordinate(raw: str | None, low: float, high: float) -> float | None:
    """A latitude or longitude typed or sent by a phone: None when empty, else a finite
    number within [low, high], or a ValidationError a resident can read."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError(_l("Vị trí không hợp lệ."))
    if not math.isfinite(value) or not low <= value <= high:
        raise ValidationError(_l("Vị trí không hợp lệ."))
    return value


class DayField(DateField):
    """A day typed as dd/mm/yyyy, the order Vietnamese write it; an ISO date (older links,
    scripts) is read too. A browser's own date box would show its locale's order instead."""

    FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=self.FORMATS, **kwargs)


class PhoneField(TelField):
    """A Vietnamese phone number typed any common way; once the field has validated,
    `normalized` holds its +84 form. A validator that stops the chain (Optional, or a
    condition the form sets) also skips the number check."""

    def __init__(self, label=None, validators=(), too_long=None, **kwargs):
        super().__init__(label, [Length(max=PHONE_TYPED_MAX, message=too_long), *validators], **kwargs)
        self.normalized: str | None = None

    def post_validate(self, form, validation_stopped):
        if validation_stopped:
            return
        try:
            self.normalized = normalize_phone(self.data)
        except InvalidPhone as error:
            raise ValidationError(error.message)


class CoordinateFields(Form):
    """A position sent by a phone as hidden lat/lon inputs."""

    lat = HiddenField()
    lon = HiddenField()

    def validate_lat(self, field):
        parse_coordinate(field.data, *LATITUDE_RANGE)

    def validate_lon(self, field):
        parse_coordinate(field.data, *LONGITUDE_RANGE)

    def coordinates(self) -> tuple[float | None, float | None]:
        """Both coordinates when both are present and valid, else neither."""
        try:
            lat = parse_coordinate(self.lat.data, *LATITUDE_RANGE)
            lon = parse_coordinate(self.lon.data, *LONGITUDE_RANGE)
        except ValidationError:
            return None, None
        if lat is None or lon is None:
            return None, None
        return lat, lon


class LocationFields(CoordinateFields):
    """A position and how it was found (the device's GPS or a pin on a map)."""

    location_source = HiddenField()

    def validate_location_source(self, field):
        if field.data and field.data not in LOCATION_SOURCES:
            raise ValidationError(_l("Vị trí không hợp lệ."))
