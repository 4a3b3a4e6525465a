"""Rows for tests, built through the same domain functions the app uses, and the
public request form as a resident fills it in."""
from __future__ import annotations

import itertools
import re

from sqlalchemy import select

from volunteer import tickets
from volunteer.extensions import db
from volunteer.models import Category, Team, User, Ward

_phones = itertools.count(1000)


def ward(code: str, period: str = "2008") -> Ward:
    return db.session.scalar(select(Ward).where(Ward.code == code, Ward.period == period))


def team_of(code: str) -> Team:
    return ward(code).teams[0]


def category(code: str = "vneid") -> Category:
    return db.session.scalar(select(Category).where(Category.code == code))


def make_user(role: str = "volunteer", ward_code: str | None = "19333", *, name=None,
              phone=None, password="mat-khau-an-toan", active=True) -> User:
    """A user of `role` in the team of ward `ward_code` (None for no team)."""
    number = next(_phones)
    user = User(
        name=name or f"{role.title()} {number}",
        phone=phone or f"+8491{number:07d}",
        role=role,
        team_id=team_of(ward_code).id if ward_code else None,
        active=active,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_ticket(ward_code: str | None = "19333", *, category_code="vneid", phone="+84912345678",
                name="Nguyễn Thị Lan", address="12 Lê Duẩn", description="Cần kích hoạt VNeID",
                lat=None, lon=None, **fields):
    request = tickets.Request(
        name=name,
        phone=phone,
        category_id=category(category_code).id,
        description=description,
        address=address,
        ward_id=ward(ward_code).id if ward_code else None,
        lat=lat,
        lon=lon,
        location_source="device" if lat is not None else None,
        **fields,
    )
    return tickets.create_ticket(request)


def valid_request_form(**overrides) -> dict:
    """The visible fields of a complete, valid request on the public form, with `overrides`."""
    return {
        "name": "Nguyễn Thị Lan",
        "phone": "0912 345 678",
        "ward": "19336:2008",
        "address": "12 Lê Duẩn",
        "category": "vneid",
        "description": "Cần kích hoạt tài khoản VNeID mức 2",
        "preferred_time": "sáng thứ Bảy",
        "notify_channel": "sms",  # checked by default, so a browser sends it
        "consent": "y",
        **overrides,
    }


_HIDDEN = re.compile(r'<input[^>]*name="(\w+)"[^>]*type="hidden"[^>]*value="([^"]*)"')


def hidden_fields(html: str) -> dict:
    """The hidden fields a browser would send back (CSRF token, submission key, via)."""
    return dict(_HIDDEN.findall(html))


def submit_request_form(client, url="/", **overrides):
    """Post the public form as a browser would after opening `url`, hidden fields included;
    an override of None leaves that field out."""
    payload = {**hidden_fields(client.get(url).get_data(as_text=True)), **valid_request_form(**overrides)}
    return client.post("/", data={k: v for k, v in payload.items() if v is not None})


def announce_events() -> int:
    """The outbox worker's first step, alone: turn each committed ticket event's announce
    row into the messages it causes, delivering none of them yet (only announce rows
    may be due when this runs). Returns how many events were announced."""
    from volunteer.notifications import worker

    announced = 0
    for message_id in worker.claim():
        assert worker.deliver(message_id) == "announced"
        announced += 1
    return announced
