import pytest

from volunteer.privacy import mask_id_numbers, rough_coordinate, street_of


@pytest.mark.parametrize(
    "text, expected",
    [
        ("CCCD 045123456789 bị lỗi", "CCCD ************ bị lỗi"),
        ("CMND 197123456", "CMND *********"),
        ("số 0451 2345 6789 nhé", "số **** **** **** nhé"),
        ("gọi 0912345678", "gọi 0912345678"),  # a phone number (10 digits) is not an ID
        ("nhà số 12, tổ 3", "nhà số 12, tổ 3"),
        ("1234567890123", "1234567890123"),  # 13 digits: not an ID card number
        ("", ""),
        (None, None),
    ],
)
def test_id_numbers_are_masked_before_storing(text, expected):
    """9- and 12-digit numbers typed into free text are masked; other numbers stay."""
    assert mask_id_numbers(text) == expected


@pytest.mark.parametrize(
    "address, street",
    [
        ("12 Lê Duẩn", "Lê Duẩn"),
        ("số 45/3 Hùng Vương, Phường 1", "Hùng Vương, Phường 1"),
        ("Kiệt 12 Trần Phú", "Trần Phú"),
        ("Lê Lợi", "Lê Lợi"),
        ("", None),
    ],
)
def test_public_views_drop_the_house_number(address, street):
    """The street without the house number is what public views may show."""
    assert street_of(address) == street


def test_rough_location_is_about_100_metres():
    """Coordinates for people who do not hold the ticket are rounded to 3 decimals."""
    assert rough_coordinate(16.81734) == 16.817
    assert rough_coordinate(None) is None
