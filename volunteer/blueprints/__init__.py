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


def carry_out(operation, *args, form=None, **kwargs) -> Attempt:
    """Run one domain operation for a view: commit if it succeeds; if the domain refuses,
    roll back and show the refusal (on its field of `form` when it names one, else as a
    flash), and the view answers with `error.status_code`."""
    try:
        value = operation(*args, **kwargs)
    except DomainError as error:
        db.session.rollback()
        if form is not None and error.field and error.field in form:
            form[error.field].errors.append(str(error.message))
        else:
            flash(str(error.message), "error")
        return Attempt(error=error)
    db.session.commit()
    return Attempt(value=value)
