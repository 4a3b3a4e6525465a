"""Residents hear back on the channel they chose, through real servers on 127.0.0.1
that answer as eSMS, Zalo and an SMTP server do; nothing of ours is mocked."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import _reset_postgresql
from tests.factories import announce_events, make_ticket, make_user, submit_request_form
from tests.fake_providers import FakeEsms, FakeZalo, SmtpServer, esms_forward
from tests.queries import count
from volunteer import retention, tickets
from volunteer.clock import utcnow
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.models import OutboxMessage, ProviderToken, Ticket
from volunteer.notifications import residents, texts, worker
from volunteer.notifications.events import ANNOUNCE
from volunteer.notifications.links import token_for

BASE_URL = "https://hotro.cds.donghaq.gov.vn"  # 32 characters, the longest the README allows


@pytest.fixture
def esms():
    server = FakeEsms()
    yield server
    server.stop()


@pytest.fixture
def zalo():
    server = FakeZalo()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    server = SmtpServer(refuse="nobody@example.org")
    yield server
    server.stop()


@pytest.fixture
def notify_app(make_app, backend, esms, zalo, smtp):
    app = make_app(
        PUBLIC_BASE_URL=BASE_URL, NOTIFY_TIMEOUT_SECONDS=2, OUTBOX_BACKOFF_SECONDS=0,
        SMS_PROVIDER="esms", ESMS_URL=esms.endpoint, ESMS_API_KEY=FakeEsms.API_KEY,
        ESMS_SECRET_KEY=FakeEsms.SECRET_KEY, SMS_BRAND_NAME=FakeEsms.BRAND,
        SMS_INBOUND_TOKEN="inbound-secret", SMS_STOP_NUMBER="8079",
        ESMS_MO_CPID="cp-test", ESMS_MO_PRIVATE_KEY="mo-private-key",
        ZALO_ZNS_URL=zalo.url + "/message/template", ZALO_OAUTH_URL=zalo.url + "/v4/oa/access_token",
        ZALO_APP_ID=FakeZalo.APP_ID, ZALO_APP_SECRET=FakeZalo.APP_SECRET,
        ZALO_ACCESS_TOKEN="first-access", ZALO_REFRESH_TOKEN="first-refresh",
        ZALO_TEMPLATES="received:1001,taken:1002,resolved:1003,reminder:1004,cancelled:1005,merged:1006",
        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False, SMTP_FROM="hotro@dongha.vn",
    )
    if backend == "postgresql":
        _reset_postgresql(app)
    return app


def _drain(app):
    with app.app_context():
        return worker.drain()


def _messages(*conditions) -> int:
    """Messages to people (not the events' announce rows)."""
    return count(OutboxMessage, OutboxMessage.channel != ANNOUNCE, *conditions)


def _resident_ticket(channel="sms", email=None, phone="+84912345678", locale="vi"):
    return make_ticket("19333", phone=phone, notify_channel=channel, email=email,
                       notify_locale=locale)


def test_a_request_from_the_form_is_acknowledged_by_sms(notify_app, esms):
    client = notify_app.test_client()
    response = submit_request_form(client, description="Mật khẩu VNeID 123456", name="Lê Thị Hoa")
    assert response.status_code == 302
    assert _drain(notify_app).sent == 1
    [sms] = esms.delivered
    with notify_app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert (ticket.notify_channel, ticket.notify_locale) == ("sms", "vi")
        link = f"{BASE_URL}/m/{token_for(ticket.id, notify_app.config['SECRET_KEY'])}"
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
    assert sms["Phone"] == "0912345678" and sms["Brandname"] == "TO CNS"
    assert sms["RequestId"] == message.delivery_key
    assert ticket.reference in sms["Content"] and link in sms["Content"]
    assert "Da nhan YC" in sms["Content"]
    # Never the description, the resident's name or their phone.
    for private in ("VNeID", "123456", "Hoa", "0912345678", "345678"):
        assert private not in sms["Content"]
    assert len(sms["Content"]) <= 160 and sms["Content"].isascii()


def test_a_resident_who_chose_none_hears_nothing(notify_app, esms):
    response = submit_request_form(notify_app.test_client(), notify_channel="none")
    assert response.status_code == 302
    assert _drain(notify_app).sent == 0 and esms.delivered == []
    with notify_app.app_context():
        assert _messages() == 0


def test_email_is_required_when_chosen(notify_app):
    response = submit_request_form(notify_app.test_client(), notify_channel="email")
    assert response.status_code == 400
    assert "Vui lòng nhập địa chỉ thư điện tử để nhận tin báo." in response.get_data(as_text=True)


def test_taken_names_the_team_and_the_volunteers_first_name_only(notify_app, esms):
    with notify_app.app_context():
        ticket = _resident_ticket()
        volunteer = make_user("volunteer", "19333", name="Trần Thị Ánh", phone="+84987654321")
        tickets.apply_transition(ticket, "claim", Actor.for_user(volunteer))
        db.session.commit()
        team = ticket.team.name
    _drain(notify_app)
    taken = esms.delivered[1]["Content"]
    assert "TNV Anh (" in taken and texts.sms_team(team) in taken
    assert "Tran" not in taken and "0987654321" not in taken and "987654321" not in taken


def test_the_gateway_refusing_a_repeated_request_id_counts_as_sent(notify_app, esms):
    """A worker killed after eSMS accepted the message: the next worker's try gets
    CodeResult 124 and the resident got one SMS."""
    with notify_app.app_context():
        _resident_ticket()
        db.session.commit()
        announce_events()
        [message_id] = worker.claim()
        worker.deliver(message_id)
        # ... as if the worker had died before recording it:
        db.session.execute(OutboxMessage.__table__.update().where(OutboxMessage.id == message_id)
                           .values(status="sending", leased_until=utcnow()))
        db.session.commit()
        assert worker.claim(now=utcnow() + timedelta(minutes=10)) == [message_id]
        assert worker.deliver(message_id) == "sent"
    assert len(esms.delivered) == 1 and esms.duplicates == 1


def test_gateway_errors_retry_or_fail_as_documented(notify_app, esms):
    esms.fail_for(60)
    with notify_app.app_context():
        _resident_ticket()
        db.session.commit()
        announce_events()
        [message_id] = worker.claim()
        assert worker.deliver(message_id) == "retried"
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.last_error) == ("pending", "eSMS: HTTP 500")
        esms.failing_until = 0
        notify_app.config["ESMS_API_KEY"] = "wrong"
        assert worker.drain().failed == 1
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.last_error) == ("failed", "eSMS: CodeResult 101")
    assert esms.delivered == []


def test_zalo_refreshes_its_token_once_and_keeps_the_new_refresh_token(notify_app, zalo):
    zalo.expire_access_token()
    with notify_app.app_context():
        _resident_ticket(channel="zalo")
        db.session.commit()
    assert _drain(notify_app).sent == 1
    [zns] = zalo.delivered
    assert zns["phone"] == "84912345678" and zns["template_id"] == "1001"
    assert zns["template_data"]["duong_dan"].startswith(f"{BASE_URL}/m/")
    with notify_app.app_context():
        stored = db.session.get(ProviderToken, "zalo")
        assert (stored.access_token, stored.refresh_token) == ("access-1", "refresh-1")
        zalo.expire_access_token()  # a day later: the stored refresh token is the live one
        _resident_ticket(channel="zalo", phone="+84912345679")
        db.session.commit()
    assert _drain(notify_app).sent == 1 and zalo.refreshes == 2


def test_what_the_providers_say_may_pass_is_tried_again(notify_app, esms, zalo):
    """eSMS out of balance (CodeResult 103) and Zalo's "Unknown error, try again later"
    (-100) keep the message for another try; it goes once they pass."""
    esms.out_of_balance, zalo.unknown_errors = True, 1
    with notify_app.app_context():
        _resident_ticket()
        _resident_ticket(channel="zalo", phone="+84912000555")
        db.session.commit()
        announce_events()
        assert [worker.deliver(message_id) for message_id in worker.claim()] == ["retried"] * 2
        assert set(db.session.scalars(select(OutboxMessage.last_error).where(
            OutboxMessage.channel != ANNOUNCE))) == {
            "eSMS: CodeResult 103", "Zalo ZNS: error -100"}
        esms.out_of_balance = False
        assert worker.drain().sent == 2
    assert len(esms.delivered) == len(zalo.delivered) == 1


def test_zalo_refuses_a_number_that_is_not_a_phone(notify_app, zalo):
    with notify_app.app_context():
        _resident_ticket(channel="zalo")
        db.session.commit()
        announce_events()
        db.session.execute(OutboxMessage.__table__.update().where(OutboxMessage.channel == "zalo")
                           .values(address="+8412"))
        db.session.commit()
        assert worker.drain().failed == 1
        assert db.session.scalar(select(OutboxMessage.last_error)
                                 .where(OutboxMessage.channel == "zalo")) == "Zalo ZNS: error -108"
    assert zalo.delivered == []


def test_zalo_refuses_a_template_it_does_not_know(notify_app, zalo):
    notify_app.config["ZALO_TEMPLATES"] = "received:9999"
    with notify_app.app_context():
        _resident_ticket(channel="zalo")
        db.session.commit()
        assert worker.drain().failed == 1
        assert db.session.scalar(select(OutboxMessage.last_error).where(
            OutboxMessage.channel == "zalo")) == "Zalo ZNS: error -109"
    assert zalo.delivered == []


def test_resolved_email_answers_yes_with_a_rating(notify_app, smtp):
    with notify_app.app_context():
        ticket = _resident_ticket(channel="email", email="lan@example.org", locale="en")
        volunteer = make_user("volunteer", "19333")
        tickets.apply_transition(ticket, "claim", Actor.for_user(volunteer))
        tickets.apply_transition(ticket, "resolve", Actor.for_user(volunteer), outcome="helped")
        db.session.commit()
        ticket_id, reference = ticket.id, ticket.reference
    assert _drain(notify_app).sent == 3
    resolved = smtp.messages[-1]
    assert resolved["Subject"] == f"Request {reference}: is it fully solved?"
    body = resolved.get_content()
    yes = re.search(rf"{re.escape(BASE_URL)}(/m/\w+/yes)", body).group(1)
    assert re.search(rf"{re.escape(BASE_URL)}/m/\w+/no", body)
    assert resolved["List-Unsubscribe"].endswith("/stop>")
    client = notify_app.test_client()
    page = client.get(yes)
    assert page.status_code == 302 and page.location.endswith(f"/track/{reference}#confirm")
    html = client.get(f"/track/{reference}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    answered = client.post(f"/track/{reference}/confirm", data={"csrf_token": token, "rating": "4"})
    assert answered.status_code == 302
    with notify_app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert (ticket.status, ticket.rating) == ("closed", 4)


def test_a_link_we_did_not_sign_opens_nothing(notify_app):
    with notify_app.app_context():
        ticket = _resident_ticket()
        db.session.commit()
        forged = token_for(ticket.id, "another-secret")
    assert notify_app.test_client().get(f"/m/{forged}/yes").status_code == 404


def test_stop_link_and_stop_reply_end_the_messages(notify_app, esms):
    with notify_app.app_context():
        ticket = _resident_ticket()
        other = _resident_ticket(phone="+84912000111")
        db.session.commit()
        announce_events()
        reference, token = ticket.reference, token_for(ticket.id, notify_app.config["SECRET_KEY"])
        other_id = other.id
    client = notify_app.test_client()
    client.get(f"/m/{token}/stop")
    html = client.get(f"/track/{reference}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post(f"/track/{reference}/stop-messages", data={"csrf_token": csrf}).status_code == 302
    signed = dict(cpid="cp-test", private_key="mo-private-key")
    forged = esms_forward("84912000111", "STOP", cpid="cp-test", private_key="guessed")
    assert client.get("/sms/inbound/inbound-secret", query_string=forged).status_code == 403
    assert client.get("/sms/inbound/guess", query_string=esms_forward(
        "84912000111", "STOP", **signed)).status_code == 404
    chatter = client.get("/sms/inbound/inbound-secret",
                         query_string=esms_forward("84912000111", "xin chao", **signed))
    assert chatter.status_code == 200 and "<Message></Message>" in chatter.get_data(as_text=True)
    with notify_app.app_context():
        assert db.session.get(Ticket, other_id).notify_stopped_at is None
    forward = esms_forward("84912000111", " stop ", **signed)
    reply = client.get("/sms/inbound/inbound-secret", query_string=forward)
    assert reply.status_code == 200 and reply.mimetype == "application/xml"
    answer = reply.get_data(as_text=True)
    # eSMS's ClientResponse: what it texts back, to whom, for which forwarded message.
    assert "<Message>Da ngung gui tin bao ve yeu cau ho tro cua ban.</Message>" in answer
    assert f"<Smsid>{forward['smsid']}</Smsid><Receiver>84912000111</Receiver>" in answer
    assert _drain(notify_app).sent == 0 and esms.delivered == []
    with notify_app.app_context():
        assert _messages(OutboxMessage.last_error == "stopped by the resident") == 2
        volunteer = make_user("volunteer", "19333")
        tickets.apply_transition(db.session.get(Ticket, other_id), "claim", Actor.for_user(volunteer))
        db.session.commit()
        assert announce_events() == 1
        assert _messages() == 2  # nothing new for a stopped phone


def test_messages_per_resident_are_capped(notify_app):
    notify_app.config["RESIDENT_MESSAGES_PER_DAY"] = 2
    with notify_app.app_context():
        for _ in range(3):
            _resident_ticket()
        db.session.commit()
        assert announce_events() == 3
        assert _messages() == 2


def test_the_reminder_goes_once_three_days_after_resolving(notify_app, esms):
    resolved_at = utcnow() - timedelta(days=3, minutes=1)
    with notify_app.app_context():
        ticket = _resident_ticket()
        volunteer = make_user("volunteer", "19333")
        tickets.apply_transition(ticket, "claim", Actor.for_user(volunteer), now=resolved_at)
        tickets.apply_transition(ticket, "resolve", Actor.for_user(volunteer), outcome="helped",
                                 now=resolved_at)
        db.session.commit()
        announce_events()
        assert residents.remind_unanswered(now=resolved_at + timedelta(days=2)) == 0
        assert residents.remind_unanswered() == 1
        db.session.commit()
        assert residents.remind_unanswered(now=utcnow() + timedelta(days=5)) == 0
        db.session.commit()
    _drain(notify_app)
    assert [("Nhac lai" in sms["Content"]) for sms in esms.delivered] == [False, False, False, True]


def test_cancelled_and_merged_requests_are_told(notify_app, esms):
    with notify_app.app_context():
        kept = _resident_ticket(phone="+84912000222")
        merged = _resident_ticket()
        coordinator = make_user("coordinator", None)
        tickets.apply_transition(merged, "merge", Actor.for_user(coordinator), duplicate_of=kept)
        db.session.commit()
        kept_reference = kept.reference
    _drain(notify_app)
    last = esms.delivered[-1]["Content"]
    assert f"trung voi {kept_reference}" in last


def test_coordinators_see_messages_without_addresses(notify_app, esms, sign_in):
    esms.fail_for(60)
    with notify_app.app_context():
        ticket = _resident_ticket()
        db.session.commit()
        coordinator = make_user("coordinator", None)
        db.session.commit()
        worker.drain()
        ticket_id = ticket.id
        client = sign_in(notify_app.test_client(), coordinator)
    page = client.get(f"/coordinator/tickets/{ticket_id}").get_data(as_text=True)
    table = page[page.index('id="messages"'):]
    table = table[:table.index("</table>")]
    # What it said, on which channel, where it stands: in the reader's words.
    assert "<td>Đã nhận yêu cầu</td><td>Tin nhắn SMS</td><td>Bỏ sau nhiều lần thử</td>" in table
    assert "eSMS: HTTP 500" in table
    assert "+84912345678" not in table and "0912345678" not in table
    dashboard = client.get("/coordinator/dashboard").get_data(as_text=True)
    assert '<tr data-channel="sms"><td>Tin nhắn SMS</td>' in dashboard
    client.get("/lang/en")
    page = client.get(f"/coordinator/tickets/{ticket_id}").get_data(as_text=True)
    assert "<td>Request received</td><td>SMS</td><td>Given up after retries</td>" in page
    dashboard = client.get("/coordinator/dashboard").get_data(as_text=True)
    assert '<tr data-channel="sms"><td>SMS</td>' in dashboard


def test_purge_erases_where_messages_went(notify_app):
    with notify_app.app_context():
        ticket = _resident_ticket()
        tickets.apply_transition(ticket, "cancel", Actor(kind="resident"))
        db.session.commit()
        announce_events()
        assert _messages(OutboxMessage.address.is_not(None)) == 2
        retention.purge(timedelta(days=0), now=utcnow() + timedelta(days=1))
        db.session.commit()
        assert _messages() == 2
        assert count(OutboxMessage, OutboxMessage.address.is_not(None)) == 0


@pytest.mark.parametrize("template", texts.TEMPLATES)
@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_sms_fits_one_gsm7_segment(app, template, locale):
    """With the longest reference, team name, volunteer name and brand (11), the longest
    site address the README allows (32 characters), a 5-digit ticket id and the STOP line."""
    params = {"ref": "DHXX-" + "W" * 11, "team": "Tổ công nghệ số cộng đồng " + "Đ" * 140,
              "name": "Nguyễn" * 20, "other": "DHXX-" + "M" * 11}
    with app.test_request_context():
        text = texts.sms_text(template, params, locale, brand="TOCNSDONGHA",
                              link=f"{BASE_URL}/m/{'f' * 5}{'a' * 10}", stop_number="8079")
    assert ("Soan STOP gui 8079" if locale == "vi" else "Text STOP to 8079") in text
    assert len(text) <= texts.SMS_LIMIT, text
    assert set(text) <= texts.GSM7, text
    assert params["ref"] in text and f"{BASE_URL}/m/" in text


def test_an_email_sent_again_keeps_its_message_id(notify_app, smtp):
    """A worker killed after the SMTP server took the mail: the next try sends it again
    (SMTP cannot refuse a repeat), under the same Message-ID, which mail systems that
    dedupe by it show once."""
    with notify_app.app_context():
        _resident_ticket(channel="email", email="lan@example.org")
        db.session.commit()
        announce_events()
        [message_id] = worker.claim()
        assert worker.deliver(message_id) == "sent"
        db.session.execute(OutboxMessage.__table__.update().where(OutboxMessage.id == message_id)
                           .values(status="sending", leased_until=utcnow()))
        db.session.commit()
        assert worker.claim(now=utcnow() + timedelta(minutes=10)) == [message_id]
        assert worker.deliver(message_id) == "sent"
        key = db.session.get(OutboxMessage, message_id).delivery_key
    first, again = smtp.messages
    assert first["Message-ID"] == again["Message-ID"] == f"<{key}@dongha.vn>"


def _unconfigured_app(make_app, backend, **config):
    app = make_app(PUBLIC_BASE_URL=BASE_URL, OUTBOX_BACKOFF_SECONDS=0, **config)
    if backend == "postgresql":
        _reset_postgresql(app)
    return app


def test_in_development_messages_without_a_provider_land_in_a_folder(make_app, backend, tmp_path):
    app = _unconfigured_app(make_app, backend, NOTIFY_UNCONFIGURED="local",
                            NOTIFY_LOCAL_DIR=str(tmp_path))
    with app.app_context():
        ticket = _resident_ticket()
        _resident_ticket(channel="email", email="lan@example.org", phone="+84912000333")
        _resident_ticket(channel="zalo", phone="+84912000444")
        db.session.commit()
        reference, link = ticket.reference, f"{BASE_URL}/m/{token_for(ticket.id, app.config['SECRET_KEY'])}"
        assert worker.drain().sent == 3
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert {message.status for message in messages} == {"sent"}
        # A second try (a worker killed after writing) rewrites the same file.
        db.session.execute(OutboxMessage.__table__.update().values(
            status="sending", leased_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert worker.drain().sent == 3
    [sms] = (tmp_path / "sms").iterdir()
    text = sms.read_text()
    assert "To: 0912345678" in text and reference in text and link in text
    body = text.split("\n\n", 1)[1].strip()
    assert len(body) <= texts.SMS_LIMIT and "Da nhan YC" in body
    [mail] = (tmp_path / "email").iterdir()
    from email import message_from_bytes
    from email.policy import default
    parsed = message_from_bytes(mail.read_bytes(), policy=default)
    assert parsed["To"] == "lan@example.org" and parsed["Subject"].startswith("Đã nhận yêu cầu")
    [zns] = (tmp_path / "zalo").iterdir()
    assert '"template_id": "received"' in zns.read_text()


def test_in_production_messages_without_a_provider_wait_for_one(make_app, backend, esms, sign_in):
    app = _unconfigured_app(make_app, backend, NOTIFY_UNCONFIGURED="hold",
                            NOTIFY_HOLD_SECONDS=900, OUTBOX_MAX_ATTEMPTS=3)
    with app.app_context():
        ticket = _resident_ticket()
        coordinator = make_user("coordinator", None)
        db.session.commit()
        ticket_id = ticket.id
        announce_events()
        now = utcnow()
        # Far more rounds than OUTBOX_MAX_ATTEMPTS: held, never buried.
        for round_ in range(6):
            later = now + timedelta(seconds=901 * round_)
            for message_id in worker.claim(now=later):
                assert worker.deliver(message_id, now=later) == "held"
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
        assert (message.status, message.attempts) == ("pending", 0)
        assert message.last_error.startswith("not configured: sms")
        assert message.next_attempt_at > later + timedelta(seconds=899)
        client = sign_in(app.test_client(), coordinator)
    page = client.get(f"/coordinator/tickets/{ticket_id}").get_data(as_text=True)
    assert "not configured: sms" in page
    dashboard = client.get("/coordinator/dashboard").get_data(as_text=True)
    assert ("Chưa cấu hình nhà cung cấp cho kênh Tin nhắn SMS: 1 tin đang chờ, sẽ được gửi "
            "khi cấu hình xong.") in dashboard
    row = dashboard[dashboard.index('<tr data-channel="sms">'):]
    assert row[:row.index("</tr>")].count("<td>0</td>") == 4  # held is not "retrying"
    app.config.update(SMS_PROVIDER="esms", ESMS_URL=esms.endpoint, ESMS_API_KEY=FakeEsms.API_KEY,
                      ESMS_SECRET_KEY=FakeEsms.SECRET_KEY, SMS_BRAND_NAME=FakeEsms.BRAND)
    with app.app_context():
        assert worker.claim(now=utcnow()) == []  # until its hold ends
        [message_id] = worker.claim(now=utcnow() + timedelta(hours=3))
        assert worker.deliver(message_id) == "sent"
    assert len(esms.delivered) == 1


def test_the_default_for_unconfigured_channels_follows_the_database(tmp_path, monkeypatch):
    from volunteer import config

    monkeypatch.delenv("NOTIFY_UNCONFIGURED", raising=False)
    embedded = config.from_environment(str(tmp_path), {"SECRET_KEY": "x"})
    assert embedded["NOTIFY_UNCONFIGURED"] == "local"
    assert embedded["NOTIFY_LOCAL_DIR"] == str(tmp_path / "outbox")
    server = config.from_environment(str(tmp_path), {
        "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "postgresql://db/volunteer",
        "PUBLIC_BASE_URL": "https://hotro.example.vn"})
    assert server["NOTIFY_UNCONFIGURED"] == "hold"


def test_flask_worker_says_where_messages_without_a_provider_go(app, runner):
    with app.app_context():
        _resident_ticket()
        db.session.commit()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "no provider for email, sms, zalo: their messages are" in result.output
    if app.config["NOTIFY_UNCONFIGURED"] == "local":
        assert "sent 1" in result.output
    else:
        assert "sent 0" in result.output and "held 1" in result.output
