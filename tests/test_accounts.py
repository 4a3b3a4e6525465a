"""`volunteer.accounts`, the one module for staff accounts: its rules called directly,
and the same rules reached from the shell (`flask users create`) and from the
coordinator's people page."""
import json

import pytest
from sqlalchemy import select

from volunteer import accounts
from volunteer.accounts import AccountError
from volunteer.domain_errors import DomainError
from volunteer.extensions import db
from volunteer.models import AuditLog, User

from .factories import make_user, team_of
from .queries import count

GOOD = {"name": "Trần Văn Bình", "role": "volunteer", "password": "mat-khau-an-toan",
        "phone": "0935 222 333"}


def create(**changes):
    values = GOOD | {"team_id": team_of("19333").id} | changes
    return accounts.create_user(actor_id=None, **values)


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"role": "emperor"}, "role"),
    ({"team_id": None}, "team"),
    ({"role": "coordinator"}, "team"),
    ({"phone": "12345"}, "phone"),
    ({"phone": None, "email": None}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"password": "x" * (accounts.PASSWORD_MIN - 1)}, "password"),
    ({"password": "x" * (accounts.PASSWORD_MAX + 1)}, "password"),
])
def test_create_user_refuses_with_the_field(ctx, changes, field):
    """Each refusal is an AccountError, a DomainError naming the form field it belongs to,
    and adds no one."""
    before = count(User)
    with pytest.raises(AccountError) as refused:
        create(**changes)
    assert isinstance(refused.value, DomainError) and refused.value.status_code == 400
    assert refused.value.field == field
    assert count(User) == before


def test_create_user_refuses_an_inactive_team(ctx):
    """A team that has stopped takes no new members."""
    team = team_of("19333")
    team.active = False
    db.session.flush()
    with pytest.raises(AccountError) as refused:
        create(team_id=team.id)
    assert refused.value.field == "team"


def test_create_user_refuses_duplicates(ctx):
    """The same phone (in any form) or e-mail (in any case) cannot sign up twice."""
    create(email="binh@example.org")
    with pytest.raises(AccountError, match="Số điện thoại này đã có tài khoản"):
        create(phone="+84935222333")
    with pytest.raises(AccountError, match="E-mail này đã có tài khoản"):
        create(phone="0935222444", email="BINH@example.org")


def test_create_user_keeps_a_120_character_name_whole_and_audits(ctx):
    """The longest allowed name is stored as typed, and the creation leaves an audit row
    naming who added whom."""
    coordinator = make_user("coordinator", None)
    user = accounts.create_user(actor_id=coordinator.id, **(GOOD | {
        "name": "y" * accounts.NAME_MAX, "team_id": team_of("19333").id}))
    assert user.name == "y" * accounts.NAME_MAX and user.phone == "+84935222333"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user_added"))
    assert entry.user_id == coordinator.id and json.loads(entry.detail)["user_id"] == user.id


def test_deactivate_ends_sessions_and_audits(ctx):
    """Deactivating by login changes the session version and leaves an audit row."""
    user = make_user("volunteer", "19333", phone="+84912000999")
    version = user.session_version
    accounts.deactivate(None, "0912 000 999")
    assert not user.active and user.session_version != version
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.user_id.is_(None))) == "user_deactivated"
    with pytest.raises(AccountError, match="Không tìm thấy tài khoản"):
        accounts.deactivate(None, "0999999999")


def test_a_coordinator_cannot_lock_themselves(ctx):
    """Set_active refuses the actor's own account, with the same error class."""
    coordinator = make_user("coordinator", None)
    with pytest.raises(AccountError):
        accounts.set_active(coordinator.id, coordinator, False)


# The two ways in: the shell and the coordinator's people page.

@pytest.fixture
def coordinator_client(app, client, sign_in):
    with app.app_context():
        coordinator = make_user("coordinator", None)
        db.session.commit()
        sign_in(client, coordinator)
    return client


def add_on_page(app, client, csrf, **changes):
    with app.app_context():
        team = team_of("19333").id
    data = {"csrf_token": csrf(client, "/coordinator/people"), "email": "", "team": team,
            **GOOD, **changes}
    return client.post("/coordinator/people", data=data)


def add_in_shell(runner, **changes):
    values = GOOD | changes
    return runner.invoke(args=["users", "create", "--name", values["name"], "--phone", values["phone"],
                               "--role", values["role"], "--team", "19333",
                               "--password", values["password"]])


def users_named(app, name):
    with app.app_context():
        return count(User, User.name == name)


def test_a_121_character_name_is_refused_in_both_paths(app, runner, coordinator_client, csrf):
    """Neither the shell nor the page truncates a long name: both refuse it and add no one."""
    name = "Nguyễn " + "x" * (accounts.NAME_MAX - 6)
    assert len(name) == accounts.NAME_MAX + 1
    result = add_in_shell(runner, name=name)
    assert result.exit_code != 0 and "tối đa 120 ký tự" in result.output
    response = add_on_page(app, coordinator_client, csrf, name=name)
    assert response.status_code == 400 and "tối đa 120 ký tự" in response.get_data(as_text=True)
    with app.app_context():
        assert count(User, User.name.like("Nguyễn x%")) == 0


def test_an_invalid_phone_on_the_page_is_a_form_error(app, coordinator_client, csrf):
    """The domain's phone refusal comes back on the phone field, not as a server error."""
    response = add_on_page(app, coordinator_client, csrf, phone="0123")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<p class="error" id="phone-error">Số điện thoại không hợp lệ.' in body
    assert users_named(app, GOOD["name"]) == 0


@pytest.mark.parametrize("length, accepted", [
    (accounts.PASSWORD_MIN - 1, False), (accounts.PASSWORD_MIN, True),
    (accounts.PASSWORD_MAX, True), (accounts.PASSWORD_MAX + 1, False),
])
def test_the_password_length_is_the_same_in_both_paths(app, runner, coordinator_client, csrf,
                                                        length, accepted):
    """A password the shell accepts the page accepts, and the other way round."""
    result = add_in_shell(runner, name="Từ dòng lệnh", phone="0935222001", password="p" * length)
    response = add_on_page(app, coordinator_client, csrf, name="Từ trang", phone="0935222002",
                           password="p" * length)
    assert (result.exit_code == 0) == accepted, result.output
    assert (response.status_code == 302) == accepted
    assert users_named(app, "Từ dòng lệnh") == users_named(app, "Từ trang") == int(accepted)


def test_shell_creation_writes_an_audit_row(app, runner):
    """`flask users create` leaves the same audit row as the page, with no actor."""
    result = add_in_shell(runner)
    assert result.exit_code == 0, result.output
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.phone == "+84935222333"))
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user_added"))
        assert entry.user_id is None
        assert json.loads(entry.detail) == {"user_id": user_id, "role": "volunteer",
                                            "team_id": team_of("19333").id}
