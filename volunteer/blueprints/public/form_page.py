"""The blank request form, rendered once and kept.

Every resident's first page is the blank form, and WTForms' widgets (fourteen fields,
the category radios, the ward select) were most of what a GET cost. Blank, the form is
the same for every resident who reads the same language and arrives through the same
link (a poster's preselected ward, its `via=qr`), except for two values: the CSRF token
and the submission key. So the markup is rendered once per (language, ward, channel)
through the very template a refused POST uses (public/_ask_form.html), with a marker
where each of those two values goes; a GET fills them in.

The wards and categories behind the choices come from the catalog's copy: when that
copy changes (a seed, or the catalog's own expiry), the kept markup is dropped with it.
At most languages × (wards + 1) × 2 entries per process. The page's scripts (their
labels) are kept once per language beside them.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ... import catalog
from ...i18n import current_language

_KEY = "volunteer.public.blank_form"
# Random markers, so no label or choice can contain one by chance.
CSRF_SLOT = f"csrf-slot-{secrets.token_hex(8)}"
KEY_SLOT = f"key-slot-{secrets.token_hex(8)}"
_SLOTS = re.compile(f"({CSRF_SLOT}|{KEY_SLOT})")


@dataclass
class _Kept:
    wards: tuple
    categories: tuple
    pages: dict = field(default_factory=dict)  # (language, root, ward, via): pieces
    scripts: dict = field(default_factory=dict)  # (language, root): markup

    def still_for(self, wards: tuple, categories: tuple) -> bool:
        if self.wards is wards and self.categories is categories:
            return True
        if self.wards == wards and self.categories == categories:
            # The catalog reloaded the same data (its copy expires every minute): hold
            # the new copy, so the next requests compare by identity again.
            self.wards, self.categories = wards, categories
            return True
        return False


class BlankPage(NamedTuple):
    content: Markup  # public/_ask_form.html
    scripts: Markup  # public/_ask_scripts.html


def blank_form(render, ward_key: str | None, via: str, submission_key: str) -> BlankPage:
    """The blank request page's content and scripts for this request: `render(ward_key,
    via, csrf, key)` makes the content (once per language, script root, ward and
    channel), then this request's CSRF token and submission key go into it."""
    wards, categories = catalog.wards(), catalog.active_categories()
    kept = current_app.extensions.get(_KEY)
    if kept is None or not kept.still_for(wards, categories):
        kept = current_app.extensions[_KEY] = _Kept(wards, categories)
    language = current_language()
    page_key = (language, request.script_root, ward_key, via)
    pieces = kept.pages.get(page_key)
    csrf = current_app.config.get("WTF_CSRF_ENABLED", True)
    if pieces is None:
        markup = str(render(ward_key, via, CSRF_SLOT, KEY_SLOT))
        pieces = kept.pages[page_key] = _pieces(markup, csrf)
    scripts = kept.scripts.get((language, request.script_root))
    if scripts is None:
        scripts = kept.scripts[(language, request.script_root)] = Markup(
            render_template("public/_ask_scripts.html"))
    values = {KEY_SLOT: str(escape(submission_key))}
    if csrf:
        values[CSRF_SLOT] = str(escape(generate_csrf()))
    # Markup: every piece is our own template's output, and both values are escaped.
    return BlankPage(Markup("".join([values.get(piece, piece) for piece in pieces])), scripts)


def _pieces(markup: str, csrf: bool) -> tuple[str, ...]:
    """The markup cut at its markers: text, marker, text…"""
    pieces = tuple(_SLOTS.split(markup))
    if pieces.count(KEY_SLOT) != 1 or pieces.count(CSRF_SLOT) != (1 if csrf else 0):
        raise RuntimeError("the request form must hold one submission key and one CSRF token")
    return pieces

