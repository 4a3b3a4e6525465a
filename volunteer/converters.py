"""URL converters. Every `<int:…>` in a route is an id of an INTEGER column, which
PostgreSQL keeps in 32 bits: a larger number in a URL is no row (404), not a query
that fails (500). SQLite's 64-bit integers never showed it."""
import builtins

from werkzeug.routing import IntegerConverter

INT32_MAX = 2**31 - 1


class Int32Converter(IntegerConverter):
    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(url_map, fixed_digits, 0 if min is None else min,
                         INT32_MAX if max is None else builtins.min(max, INT32_MAX), signed)


def register(app) -> None:
    """Before any blueprint: a rule takes its converter when it is added."""
    app.url_map.converters["int"] = Int32Converter
