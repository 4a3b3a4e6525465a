"""The one shape of a refusal by the domain: a message in the user's language, the
HTTP answer a view should give, and the form field it belongs to, if any.

Lifecycle, accounts, campaigns and the rest raise subclasses; views turn any of them
into a flash or a 4xx the same way (see `blueprints.carry_out`)."""
from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
