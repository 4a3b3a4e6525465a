"""Counting rows, the one way every test does it."""
from __future__ import annotations

from sqlalchemy import func, select

from volunteer.extensions import db


def count(model, *where) -> int:
    """Rows of `model` matching every `where` clause, in the current app context."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def count_in(app, model, *where) -> int:
    """The same count from outside any context (as a test between requests): it opens its own."""
    with app.app_context():
        return count(model, *where)
