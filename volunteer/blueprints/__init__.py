"""One package per blueprint. What every view does the same way lives here."""
from __future__ import annotations

from typing import Any, NamedTuple

from flask import flash

from ..domain_errors import DomainError
from ..extensions import db


class Attempt(NamedTuple):
    """What a domain operation gave back, or why the domain refused it."""

    value: Any = None
    error: DomainError | None = None


def carry_out(operation, *args, **kwargs) -> Attempt:
    """Run one domain operation for a view: commit if it succeeds; if the domain refuses,
    roll back and flash the refusal, and the view answers with `error.status_code`."""
    try:
        value = operation(*args, **kwargs)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return Attempt(error=error)
    db.session.commit()
    return Attempt(value=value)
