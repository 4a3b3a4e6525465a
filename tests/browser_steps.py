"""Steps the browser tests share, done the way a person does them: through the pages."""
from __future__ import annotations


def sign_in(page, base: str, login: str, password: str, *, then: str | None = None,
            lands_on: str | None = None) -> None:
    """Sign in through the real sign-in page (with `?next=then` when given) and wait
    for the page it lands on (`lands_on`, a URL glob) or for the load."""
    page.goto(base + "/login" + (f"?next={then}" if then else ""))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    if lands_on:
        page.wait_for_url(lands_on)
    else:
        page.wait_for_load_state()


def fill_request_form(page, *, name="Trần Văn Bình", phone="0912 345 678",
                      ward="19336:2008", **fields: str) -> None:
    """A resident's request for help with VNeID, with consent; other text fields by
    their name (description, address, ...). Not submitted."""
    page.locator("input[name=category][value=vneid]").check()
    page.fill("input[name=name]", name)
    page.fill("input[name=phone]", phone)
    for field, value in fields.items():
        page.fill(f"form [name={field}]", value)
    page.select_option("select[name=ward]", ward)
    page.check("input[name=consent]")
