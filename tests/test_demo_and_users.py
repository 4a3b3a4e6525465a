"""`flask seed --demo [--tickets N]` and `flask users create|deactivate`."""
from collections import Counter

from sqlalchemy import select

from volunteer.geo import geography
from volunteer.extensions import db
from volunteer.models import AuditLog, Ticket, TicketEvent, User, Ward

from .queries import count, count_in


def test_seed_demo_prints_the_logins_and_is_repeatable(app, runner, client, csrf):
    """The demo adds a coordinator, a lead and two volunteers per team and a few dozen
    tickets in a spread of statuses; a second run adds nothing; the printed login works."""
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert "0900000001  coordinator" in result.output
    assert "0900002001  volunteer" in result.output
    assert "password for all: dongha-demo" in result.output
    with app.app_context():
        roles = Counter(db.session.scalars(select(User.role)))
        assert roles == {"coordinator": 1, "lead": 9, "volunteer": 18}
        assert db.session.scalar(select(User.team_id).where(User.phone == "+84900000001")) is None
        statuses = Counter(db.session.scalars(select(Ticket.status)))
        assert statuses == {"new": 27, "claimed": 9, "in_progress": 9, "resolved": 9}
    again = runner.invoke(args=["seed", "--demo"])
    assert again.exit_code == 0 and "demo tickets already there" in again.output
    assert count_in(app, User) == 28 and count_in(app, Ticket) == 54
    response = client.post("/login", data={"login": "0900002001", "password": "dongha-demo",
                                           "csrf_token": csrf(client, "/login")})
    assert response.status_code == 302
    assert client.get("/volunteer/queue").get_data(as_text=True).count("/volunteer/tickets/DH-") == 3


def test_seed_demo_tickets_in_bulk(app, runner):
    """--tickets N adds N tickets inside their wards, with their history, and a progress bar."""
    result = runner.invoke(args=["seed", "--demo", "--tickets", "400"])
    assert result.exit_code == 0, result.output
    assert "added 400 tickets" in result.output
    with app.app_context():
        tickets = db.session.scalars(select(Ticket)).all()
        assert len(tickets) == 400
        assert len({t.reference for t in tickets}) == 400
        locator = geography.load().locator
        codes = {w.id: w.code for w in db.session.scalars(select(Ward))}
        placed = [t for t in tickets if t.location_source == "device"]
        assert placed and all(locator.locate(t.lat, t.lon) == codes[t.ward_id] for t in placed)
        members = {u.id: u.team_id for u in db.session.scalars(select(User))}
        held = [t for t in tickets if t.status in ("claimed", "in_progress")]
        assert held and all(members[t.assignee_id] == t.team_id for t in held)
        created = count(TicketEvent, TicketEvent.action == "created")
        assert created == 400
        closed = [t for t in tickets if t.status == "closed"]
        assert closed and all(t.closed_at and t.resolved_at and t.outcome for t in closed)
        assert len(Counter(t.status for t in tickets)) >= 6


def test_tickets_option_needs_demo(runner):
    """--tickets alone is a usage error."""
    result = runner.invoke(args=["seed", "--tickets", "5"])
    assert result.exit_code != 0 and "--tickets goes with --demo" in result.output


def test_users_create_and_deactivate(app, runner, client, csrf):
    """A volunteer created from the shell signs in; deactivated, they cannot. Both leave
    an audit row, as on the coordinator's page."""
    result = runner.invoke(args=["users", "create", "--name", "Võ Thị Hằng", "--phone", "0935 111 222",
                                 "--role", "volunteer", "--team", "19336"],
                           input="mat-khau-an-toan\nmat-khau-an-toan\n")
    assert result.exit_code == 0, result.output
    assert "Tổ công nghệ số cộng đồng Phường Đông Lễ" in result.output
    data = {"login": "0935111222", "password": "mat-khau-an-toan"}
    assert client.post("/login", data={**data, "csrf_token": csrf(client, "/login")}).status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client, "/logout")})
    result = runner.invoke(args=["users", "deactivate", "+84935111222"])
    assert result.exit_code == 0, result.output
    assert client.post("/login", data={**data, "csrf_token": csrf(client, "/login")}).status_code == 400
    with app.app_context():
        actions = list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
        assert actions == ["user_added", "user_deactivated"]


def test_users_create_refuses_bad_input(app, runner):
    """Missing team, unknown ward, duplicate phone, bad phone, short password, a coordinator
    with a team: each is refused with a message and creates nothing."""
    base = ["users", "create", "--name", "Lê Văn Tám", "--password", "mat-khau-an-toan"]
    runner.invoke(args=base + ["--phone", "0935000001", "--team", "19333"])
    cases = [
        (["--phone", "0935000002"], "cần thuộc một tổ"),
        (["--phone", "0935000003", "--team", "99999"], "Không có phường mã 99999"),
        (["--phone", "0935 000 001", "--team", "19333"], "đã có tài khoản"),
        (["--phone", "12345", "--team", "19333"], "Số điện thoại không hợp lệ"),
        (["--phone", "0935000004", "--team", "19333", "--role", "coordinator"], "không thuộc tổ nào"),
    ]
    for extra, message in cases:
        result = runner.invoke(args=base + extra)
        assert result.exit_code != 0 and message in result.output, (extra, result.output)
    short = runner.invoke(args=["users", "create", "--name", "X", "--phone", "0935000005",
                                "--team", "19333", "--password", "ngan"])
    assert short.exit_code != 0 and "ít nhất 8 ký tự" in short.output
    assert count_in(app, User) == 1
    unknown = runner.invoke(args=["users", "deactivate", "0999999999"])
    assert unknown.exit_code != 0 and "Không tìm thấy tài khoản" in unknown.output
