import pytest

from volunteer.phones import InvalidPhone, display_phone, normalize_phone


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0912345678", "+84912345678"),
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("091-234-5678", "+84912345678"),
        ("+84912345678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        ("+84 0912 345 678", "+84912345678"),
        ("0388 123 456", "+84388123456"),
        ("0706123456", "+84706123456"),
        ("0833 123 456", "+84833123456"),
        ("0563123456", "+84563123456"),
        ("0233 3852 123", "+842333852123"),  # Quảng Trị landline
        ("(0233) 385 2123", "+842333852123"),
        ("024 3825 1234", "+842438251234"),  # Hà Nội landline
        # Digits of other scripts and widths are the same digits (a phone keyboard's choice).
        ("０９１２ ３４５ ６７８", "+84912345678"),
        ("09１２345678", "+84912345678"),
        ("＋８４ ９１２ ３４５ ６７８", "+84912345678"),
        ("٠٩١٢٣٤٥٦٧٨", "+84912345678"),
        ("۰۹۱۲۳۴۵۶۷۸", "+84912345678"),
        ("०९१२३४५६७८", "+84912345678"),
    ],
)
def test_vietnamese_numbers_are_normalized(raw, expected):
    """Mobiles and landlines in every common spelling become one +84 form."""
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "abc", "09123abc78", "091234567", "09123456789", "0112345678", "01234567890",
     "+1 415 555 0100", "+84 12 345", "0612345678", "<script>", "0912345678; DROP TABLE tickets",
     None, "０１１２３４５６７８", "٠٦١٢٣٤٥٦٧٨"],
)
def test_what_is_not_a_vietnamese_number_is_refused(raw):
    """Letters, wrong lengths, old 11-digit mobiles, foreign numbers are refused with a message."""
    with pytest.raises(InvalidPhone) as error:
        normalize_phone(raw)
    assert str(error.value.message)


def test_display_reads_like_a_local_number():
    """A normalized mobile is shown the way people read it aloud."""
    assert display_phone("+84912345678") == "0912 345 678"
