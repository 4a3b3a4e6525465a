"""Demo data: fixed logins for every team, a few dozen realistic tickets, and bulk
tickets for benchmarks. Functions flush, never commit.

The demo logins are fixed so the README can list them: the coordinator is
0900000001; team n (teams in ward-code order, from 1) has its lead at 09000nn000
and two volunteers at 09000nn001 and 09000nn002. All share DEMO_PASSWORD.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely
from flask import current_app
from shapely.geometry import shape
from sqlalchemy import func, insert, literal, null, select

from volunteer import catalog, figures, geo, tickets
from volunteer.clock import utcnow
from volunteer.extensions import db
from volunteer.lifecycle import Actor
from volunteer.models import Team, Ticket, TicketEvent, User, Ward, team_wards
from volunteer.phones import normalize_phone
from volunteer.privacy import street_of
from volunteer.references import new_reference

DEMO_PASSWORD = "dongha-demo"
COORDINATOR_PHONE = "0900000001"
COORDINATOR_NAME = "Lê Thị Thu Hà"
BATCH = 5000

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Phan", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Trương", "Huỳnh")
MIDDLE_MALE = ("Văn", "Đức", "Hữu", "Quang", "Minh", "Công", "Xuân")
MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Kim", "Thanh", "Diệu", "Hoài")
GIVEN_MALE = ("Hùng", "Dũng", "Nam", "Bình", "Tuấn", "Hải", "Sơn", "Long", "Phúc", "Thành",
              "Lợi", "Quý", "Tâm", "Khánh")
GIVEN_FEMALE = ("Lan", "Hoa", "Mai", "Hương", "Hạnh", "Nga", "Thảo", "Linh", "Trang", "Yến",
                "Loan", "Tuyết", "Nhung", "Phượng")

DESCRIPTIONS = {
    "online_services": (
        "Cần nộp hồ sơ đăng ký khai sinh cho cháu trên Cổng dịch vụ công nhưng không biết tải giấy tờ lên.",
        "Muốn làm thủ tục cấp đổi giấy phép lái xe trực tuyến, bị báo lỗi khi thanh toán lệ phí.",
        "Không đăng nhập được Cổng dịch vụ công quốc gia bằng tài khoản định danh.",
        "Cần hướng dẫn xin cấp phiếu lý lịch tư pháp qua mạng.",
        "Muốn đăng ký thường trú cho con qua dịch vụ công, không biết chọn thủ tục nào.",
    ),
    "vneid": (
        "Chưa kích hoạt được tài khoản định danh điện tử mức 2, ứng dụng báo sai thông tin.",
        "Quên mật khẩu VNeID, đổi số điện thoại nên không nhận được mã OTP.",
        "Cần tích hợp giấy phép lái xe và thẻ bảo hiểm y tế vào VNeID.",
        "Điện thoại cũ không quét được chip trên căn cước, nhờ hỗ trợ kích hoạt.",
        "Muốn khai báo tạm trú trên VNeID cho người thuê trọ.",
    ),
    "cashless": (
        "Muốn cài ứng dụng ngân hàng để nhận lương hưu qua tài khoản.",
        "Cần hướng dẫn thanh toán tiền điện, tiền nước bằng mã QR.",
        "Nhận tiền trợ cấp qua tài khoản nhưng không biết kiểm tra số dư.",
        "Lo bị lừa đảo qua điện thoại, nhờ cài đặt bảo mật cho ứng dụng ngân hàng.",
        "Quầy tạp hoá muốn nhận chuyển khoản bằng mã QR, cần in và dán mã.",
    ),
    "local_apps": (
        "Muốn phản ánh đèn đường hỏng qua ứng dụng của tỉnh, không biết gửi ảnh.",
        "Cần cài ứng dụng IOC Quảng Trị và đăng ký tài khoản.",
        "Nhờ hướng dẫn tra cứu kết quả giải quyết hồ sơ trên ứng dụng của thành phố.",
        "Muốn nhận thông báo lịch cắt điện, cắt nước qua ứng dụng.",
    ),
    "digital_skills": (
        "Bà cụ muốn gọi video cho con ở xa, cần cài Zalo và hướng dẫn sử dụng.",
        "Cần tạo địa chỉ e-mail để nhận kết quả học tập của cháu.",
        "Muốn học cách nhận biết tin nhắn lừa đảo trên điện thoại.",
        "Nhờ cài đặt cỡ chữ to và danh bạ khẩn cấp trên điện thoại mới.",
        "Cần hướng dẫn chụp và gửi ảnh giấy tờ qua Zalo cho cán bộ phường.",
    ),
}


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    phone: str
    team: str | None


def member_phone(team_number: int, member: int) -> str:
    """Team n's lead is member 0, its volunteers 1 and 2: 09000nnmmm."""
    return f"09000{team_number:02d}{member:03d}"


def _teams_in_order() -> list[Team]:
    first_code = (
        select(team_wards.c.team_id, func.min(Ward.code).label("code"))
        .join(Ward, Ward.id == team_wards.c.ward_id)
        .group_by(team_wards.c.team_id)
        .subquery()
    )
    return db.session.scalars(
        select(Team)
        .join(first_code, first_code.c.team_id == Team.id)
        .where(Team.active.is_(True))
        .order_by(first_code.c.code, Team.id)
    ).all()


def person_name(rng: random.Random, female: bool | None = None) -> str:
    female = rng.random() < 0.5 if female is None else female
    middle = MIDDLE_FEMALE if female else MIDDLE_MALE
    given = GIVEN_FEMALE if female else GIVEN_MALE
    return f"{rng.choice(SURNAMES)} {rng.choice(middle)} {rng.choice(given)}"


def ensure_demo_users(rng: random.Random | None = None) -> list[DemoLogin]:
    """The demo coordinator, and a lead and two volunteers per team; safe to run again
    (existing accounts are kept as they are)."""
    rng = rng or random.Random(2025)
    logins: list[DemoLogin] = []
    password_hash = None
    wanted: list[tuple[str, str, str, Team | None]] = [
        ("coordinator", COORDINATOR_NAME, COORDINATOR_PHONE, None)
    ]
    for number, team in enumerate(_teams_in_order(), start=1):
        wanted.append(("lead", person_name(rng), member_phone(number, 0), team))
        wanted.append(("volunteer", person_name(rng), member_phone(number, 1), team))
        wanted.append(("volunteer", person_name(rng), member_phone(number, 2), team))
    for role, name, phone, team in wanted:
        normalized = normalize_phone(phone)
        user = db.session.scalar(select(User).where(User.phone == normalized))
        if user is None:
            user = User(name=name, phone=normalized, role=role,
                        team_id=team.id if team is not None else None, active=True)
            # One hash for the one shared demo password: hashing it 28 times is slow for nothing.
            if password_hash is None:
                user.set_password(DEMO_PASSWORD)
                password_hash = user.password_hash
            user.password_hash = password_hash
            user.session_version = 1
            db.session.add(user)
        logins.append(DemoLogin(role=user.role, name=user.name, phone=phone,
                                team=team.name if team is not None else None))
    db.session.flush()
    return logins


# --------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------
@dataclass
class WardPlaces:
    ward_id: int
    code: str
    team_id: int
    geometry: object
    bounds: tuple[float, float, float, float]
    streets: list[tuple[str, float, float]]  # name, lat, lon
    households: int


def ward_places() -> list[WardPlaces]:
    """Routing wards with their polygon, team and the gazetteer's streets in them."""
    city = geo.load_city(current_app.config["CITY_FILE"])
    streets: dict[str, list[tuple[str, float, float]]] = {}
    for feature in city["features"]:
        props = feature.get("properties") or {}
        if props.get("kind") == "place" and props.get("type") == "street":
            lon, lat = feature["geometry"]["coordinates"][:2]
            streets.setdefault(props.get("ward_code"), []).append((props["name"], lat, lon))
    rows = db.session.execute(
        select(Ward, team_wards.c.team_id)
        .join(team_wards, team_wards.c.ward_id == Ward.id)
        .where(Ward.is_routing_area.is_(True), Ward.boundary_geojson.is_not(None))
        .order_by(Ward.code)
    ).all()
    places, seen = [], set()
    for ward, team_id in rows:
        if ward.id in seen:
            continue
        seen.add(ward.id)
        geometry = shape(json.loads(ward.boundary_geojson))
        shapely.prepare(geometry)
        places.append(WardPlaces(
            ward_id=ward.id, code=ward.code, team_id=team_id, geometry=geometry,
            bounds=geometry.bounds, streets=streets.get(ward.code, []),
            households=max(ward.households or 0, 1),
        ))
    return places


def point_in(place: WardPlaces, rng: random.Random, near: tuple[float, float] | None = None):
    """A (lat, lon) inside the ward: near the street if one is given, else anywhere."""
    if near is not None:
        for _ in range(8):
            lat, lon = near[0] + rng.gauss(0, 0.0025), near[1] + rng.gauss(0, 0.0025)
            if shapely.contains_xy(place.geometry, lon, lat):
                return round(lat, 6), round(lon, 6)
    minx, miny, maxx, maxy = place.bounds
    while True:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(place.geometry, lon, lat):
            return round(lat, 6), round(lon, 6)


def address_in(place: WardPlaces, rng: random.Random) -> tuple[str, tuple[float, float] | None]:
    if not place.streets:
        return f"Khu phố {rng.randint(1, 12)}", None
    name, lat, lon = rng.choice(place.streets)
    number = rng.randint(1, 320)
    if rng.random() < 0.3:
        first = f"Kiệt {rng.randint(2, 120)}/{number} {name}"
    else:
        first = f"{number} {name}"
    return f"{first}, Khu phố {rng.randint(1, 12)}", (lat, lon)


def resident_phone(rng: random.Random) -> str:
    prefix = rng.choice(("91", "94", "83", "84", "85", "98", "97", "86", "70", "77", "35", "39"))
    return f"+84{prefix}{rng.randint(0, 9999999):07d}"


def _members_by_team() -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    for user_id, team_id in db.session.execute(
        select(User.id, User.team_id).where(
            User.active.is_(True), User.role.in_(("volunteer", "lead")), User.team_id.is_not(None)
        ).order_by(User.id)
    ):
        members.setdefault(team_id, []).append(user_id)
    return members


def _demo_members() -> dict[int, dict[int, User]]:
    """team id -> {member number: the demo user with that fixed phone}."""
    found: dict[int, dict[int, User]] = {}
    for number, team in enumerate(_teams_in_order(), start=1):
        for member in range(3):
            user = db.session.scalar(
                select(User).where(User.phone == normalize_phone(member_phone(number, member)))
            )
            if user is not None and user.team_id == team.id and user.active:
                found.setdefault(team.id, {})[member] = user
    return found


def _categories() -> list[tuple[int, str]]:
    return [(c.id, c.code) for c in catalog.categories()]


def _description(code: str, rng: random.Random) -> str:
    return rng.choice(DESCRIPTIONS.get(code) or DESCRIPTIONS["digital_skills"])


# --------------------------------------------------------------------------
# A few dozen realistic tickets, through the same functions the app uses
# --------------------------------------------------------------------------
# Per team: (age, what happened since); the volunteers are the team's members 1 and 2.
DEMO_STORIES = (
    (timedelta(hours=2), ()),
    (timedelta(days=1, hours=3), ()),
    (timedelta(days=4), ()),
    (timedelta(days=2), (("claim", 1),)),
    (timedelta(days=3), (("claim", 2), ("start", 2), ("contact", 2))),
    (timedelta(days=9), (("claim", 1), ("start", 1), ("resolve", 1))),
)


def add_demo_tickets(rng: random.Random | None = None, now: datetime | None = None) -> int:
    """Six tickets per team in a spread of statuses and ages; again changes nothing."""
    rng = rng or random.Random(7)
    now = now or utcnow()
    members = _demo_members()
    categories = _categories()
    made = 0
    for place in ward_places():
        team_members = members.get(place.team_id, {})
        for index, (age, story) in enumerate(DEMO_STORIES):
            key = f"demo-{place.code}-{index}"
            if tickets.find_by_submission_key(key) is not None:
                continue
            category_id, category_code = categories[(index + int(place.code)) % len(categories)]
            address, near = address_in(place, rng)
            lat, lon = point_in(place, rng, near)
            created_at = now - age
            ticket = tickets.create_ticket(tickets.Request(
                name=person_name(rng),
                phone=resident_phone(rng),
                category_id=category_id,
                description=_description(category_code, rng),
                address=address,
                ward_id=place.ward_id,
                lat=lat,
                lon=lon,
                location_source="device",
                channel=rng.choice(("web", "web", "qr_point", "phone")),
                needs_elderly=rng.random() < 0.35,
                needs_disability=rng.random() < 0.1,
                needs_home_visit=rng.random() < 0.3,
                submission_key=key,
            ), now=created_at)
            made += 1
            moment = created_at
            for action, member in story:
                user = team_members.get(member)
                if user is None:
                    break
                moment = moment + (now - moment) / 3
                tickets.apply_transition(
                    ticket, action, Actor.for_user(user), now=moment,
                    contact_result="no_answer" if action == "contact" else None,
                    outcome="helped" if action == "resolve" else None,
                    note="Đã hẹn chiều mai đến nhà." if action == "start" else None,
                )
    db.session.flush()
    return made


# --------------------------------------------------------------------------
# Bulk tickets for benchmarks: core inserts in batches
# --------------------------------------------------------------------------
def _status_for(age_days: float, rng: random.Random) -> str:
    """Older tickets are mostly done; the open backlog is recent, as in a working desk."""
    r = rng.random()
    if age_days < 3:
        table = (("new", .6), ("claimed", .2), ("in_progress", .15), ("resolved", .05))
    elif age_days < 30:
        table = (("new", .15), ("claimed", .05), ("in_progress", .05), ("resolved", .3),
                 ("closed", .33), ("escalated", .03), ("unreachable", .05), ("cancelled", .04))
    else:
        table = (("new", .02), ("resolved", .03), ("closed", .8), ("escalated", .01),
                 ("unreachable", .06), ("cancelled", .08))
    for status, share in table:
        r -= share
        if r < 0:
            return status
    return table[-1][0]


def bulk_tickets(count: int, *, seed: int = 1, now: datetime | None = None,
                 progress: Callable[[int], None] | None = None) -> int:
    """Insert `count` tickets across the wards (weighted by households), with their
    history, in batches of core inserts. Returns how many were made."""
    rng = random.Random(seed)
    now = now or utcnow()
    places = ward_places()
    weights = [p.households for p in places]
    members = _members_by_team()
    categories = _categories()
    prefix = current_app.config.get("REFERENCE_PREFIX", "DH")
    taken = set(db.session.scalars(select(Ticket.reference)))
    first_id = db.session.scalar(select(func.max(Ticket.id))) or 0

    made = 0
    while made < count:
        rows = []
        for _ in range(min(BATCH, count - made)):
            place = rng.choices(places, weights)[0]
            age_days = rng.uniform(0, 14) if rng.random() < 0.3 else rng.uniform(0, 365)
            created_at = now - timedelta(days=age_days)
            status = _status_for(age_days, rng)
            reference = new_reference(prefix)
            while reference in taken:
                reference = new_reference(prefix)
            taken.add(reference)
            category_id, category_code = rng.choice(categories)
            address, near = address_in(place, rng)
            where = rng.random()
            if where < 0.6:
                lat, lon = point_in(place, rng, near)
                source = "device"
            elif where < 0.85 and near is not None:
                lat, lon, source = near[0], near[1], "geocoded"
            else:
                lat = lon = source = None
            phone = resident_phone(rng)
            team_members = members.get(place.team_id) or [None]
            held = status in ("claimed", "in_progress", "resolved", "closed", "escalated", "unreachable")
            step = timedelta(days=age_days) / 4
            claimed_at = created_at + step / 2 if held else None
            started_at = (created_at + step if status in ("in_progress", "resolved", "closed")
                          else None)
            resolved_at = created_at + 2 * step if status in ("resolved", "closed") else None
            closed_at = created_at + 3 * step if status == "closed" else None
            updated_at = max(t for t in (created_at, claimed_at, started_at, resolved_at, closed_at) if t)
            rows.append({
                "reference": reference,
                "resident_name": person_name(rng),
                "phone": phone,
                "phone_last4": phone[-4:],
                "address": address,
                "street": street_of(address),
                "ward_id": place.ward_id,
                "requested_ward_id": place.ward_id,
                "ward_flagged": False,
                "team_id": place.team_id,
                "lat": lat,
                "lon": lon,
                "location_source": source,
                "category_id": category_id,
                "description": _description(category_code, rng),
                "channel": rng.choice(("web", "web", "web", "qr_point", "phone", "door_to_door")),
                "needs_elderly": rng.random() < 0.3,
                "needs_disability": rng.random() < 0.08,
                "needs_home_visit": rng.random() < 0.25,
                "consent_at": created_at,
                "status": status,
                "assignee_id": rng.choice(team_members) if held else None,
                "outcome": (rng.choice(("helped", "helped", "helped", "helped_partly", "not_helped"))
                            if resolved_at else None),
                "unanswered_attempts": 3 if status == "unreachable" else 0,
                "reopen_count": 0,
                "created_at": created_at,
                "updated_at": updated_at,
                "claimed_at": claimed_at,
                "started_at": started_at,
                "resolved_at": resolved_at,
                "first_resolved_at": resolved_at,
                "closed_at": closed_at,
                "cancelled_at": updated_at if status == "cancelled" else None,
                "escalated_at": updated_at if status == "escalated" else None,
            })
        db.session.execute(insert(Ticket.__table__), rows)
        made += len(rows)
        if progress is not None:
            progress(len(rows))
    _bulk_history(first_id)
    figures.rebuild_durations()  # core INSERTs bypass the steps that keep the medians' histogram
    db.session.flush()
    return made


def _bulk_history(after_id: int) -> None:
    """The events behind each bulk ticket's state, one INSERT … SELECT per kind of step."""
    t = Ticket.__table__
    columns = ["ticket_id", "action", "actor_kind", "actor_id", "from_status", "to_status",
               "detail", "created_at"]
    steps = (
        ("created", "resident", null(), null(), "new", t.c.channel, t.c.created_at, None),
        ("claim", "user", t.c.assignee_id, "new", "claimed", null(), t.c.claimed_at,
         t.c.claimed_at.is_not(None)),
        ("start", "user", t.c.assignee_id, "claimed", "in_progress", null(), t.c.started_at,
         t.c.started_at.is_not(None)),
        ("resolve", "user", t.c.assignee_id, "in_progress", "resolved", t.c.outcome,
         t.c.resolved_at, t.c.resolved_at.is_not(None)),
        ("close", "system", null(), "resolved", "closed", null(), t.c.closed_at,
         t.c.closed_at.is_not(None)),
        ("escalate", "user", t.c.assignee_id, "claimed", "escalated", null(), t.c.escalated_at,
         t.c.escalated_at.is_not(None)),
        ("unreachable", "user", t.c.assignee_id, "claimed", "unreachable", null(), t.c.updated_at,
         t.c.status == "unreachable"),
        ("cancel", "resident", null(), "new", "cancelled", null(), t.c.cancelled_at,
         t.c.cancelled_at.is_not(None)),
    )
    for action, kind, actor, from_status, to_status, detail, at, condition in steps:
        source = select(
            t.c.id,
            literal(action),
            literal(kind),
            actor,
            from_status if not isinstance(from_status, str) else literal(from_status),
            literal(to_status),
            detail,
            at,
        ).where(t.c.id > after_id)
        if condition is not None:
            source = source.where(condition)
        db.session.execute(insert(TicketEvent.__table__).from_select(columns, source))


def ticket_count() -> int:
    return db.session.scalar(select(func.count(Ticket.id))) or 0

