"""The data model. Behaviour that belongs to the rules lives in the domain modules."""
from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .clock import utcnow
from .extensions import db
from .limits import (ADDRESS_MAX, CAMPAIGN_NAME_MAX, EMAIL_MAX, HELPED_WITH_MAX, HOUSEHOLD_LABEL_MAX,
                     MEDIA_URL_MAX, NAME_MAX, ORGANISATION_MAX, PHONE_MAX, PREFERRED_TIME_MAX,
                     STREET_MAX, SUBMISSION_KEY_MAX, TEAM_NAME_MAX)
from .lifecycle import Status
from .vocabulary import (MEASURED_POSITIONS, Channel, LocationSource, NewRequestAlerts, NotifyChannel,
                         OutboxStatus, Role, RoutingReason, VisitOutcome)


MEASURED_POSITION_CLAUSE = text(
    "location_source IN (" + ", ".join(f"'{source}'" for source in MEASURED_POSITIONS) + ")")


def one_of(column: str, values) -> CheckConstraint:
    """The database refuses a value the enum does not know; named after the column,
    as migration 0005 names it."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


team_wards = Table(
    "team_wards",
    db.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("ward_id", ForeignKey("wards.id", ondelete="CASCADE"), primary_key=True),
)

campaign_categories = Table(
    "campaign_categories",
    db.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Ward(db.Model):
    """An administrative unit. Routing areas carry a boundary; merged wards group them.

    Official codes were reused by the 2025 merger, so a code is only unique within
    its period.
    """

    __tablename__ = "wards"
    __table_args__ = (UniqueConstraint("code", "period", name="uq_wards_code_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    period: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    is_routing_area: Mapped[bool] = mapped_column(Boolean, default=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id"))
    boundary_geojson: Mapped[str | None] = mapped_column(Text)
    centre_lat: Mapped[float | None] = mapped_column(Float)
    centre_lon: Mapped[float | None] = mapped_column(Float)
    households: Mapped[int] = mapped_column(Integer, default=0)

    merged_into: Mapped[Ward | None] = relationship(remote_side=[id], back_populates="areas")
    areas: Mapped[list[Ward]] = relationship(back_populates="merged_into")
    teams: Mapped[list[Team]] = relationship(secondary=team_wards, back_populates="wards")

    @property
    def key(self) -> str:
        """The stable public identifier used in forms and poster links."""
        return f"{self.code}:{self.period}"

    def __repr__(self) -> str:
        return f"<Ward {self.key} {self.name}>"


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TEAM_NAME_MAX), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    wards: Mapped[list[Ward]] = relationship(secondary=team_wards, back_populates="teams")
    members: Mapped[list[User]] = relationship(back_populates="team")


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(160))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(String(255), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_vi

    def describe(self, locale: str) -> str:
        return self.description_en if locale == "en" else self.description_vi


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (one_of("role", Role),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX), unique=True)
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.VOLUNTEER)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changing it logs out every session signed before the change.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    team: Mapped[Team | None] = relationship(back_populates="members")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # The signed-in device's session (see user_sessions), set when it is opened or loaded.
    session_token: str = ""

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return bool(self.active)


class UserSession(db.Model):
    """One signed-in device: signing out deletes its row, so a copied cookie (session or
    remember-me) stops working while the user's other devices stay signed in. Only a
    hash of the token in the cookie is kept."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ApiKey(db.Model):
    """An Open311 client. Only a hash of the key is kept; the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(String(ORGANISATION_MAX))
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    consent_attested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(CAMPAIGN_NAME_MAX))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    categories: Mapped[list[Category]] = relationship(secondary=campaign_categories)
    targets: Mapped[list[CampaignTarget]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )


class CampaignTarget(db.Model):
    __tablename__ = "campaign_targets"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"), primary_key=True)
    target_households: Mapped[int] = mapped_column(Integer, default=0)

    campaign: Mapped[Campaign] = relationship(back_populates="targets")
    ward: Mapped[Ward] = relationship()


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_team_status_created", "team_id", "status", "created_at"),
        Index("ix_tickets_team_status_lat_lon", "team_id", "status", "lat", "lon", "category_id", "id"),
        Index("ix_tickets_ward_status", "ward_id", "status"),
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_phone_category", "phone", "category_id"),
        # Possible duplicates nearby: a band of latitude within a category, measured
        # positions only (migration 0008).
        Index("ix_tickets_measured_position", "category_id", "lat", "lon", "created_at",
              sqlite_where=MEASURED_POSITION_CLAUSE, postgresql_where=MEASURED_POSITION_CLAUSE),
        # The coordinators' date windows, answered from the index alone (migration 0003).
        Index("ix_tickets_created_figures", "created_at", "ward_id", "team_id", "category_id",
              "claimed_at", "first_resolved_at"),
        Index("ix_tickets_resolved_figures", "resolved_at", "status", "ward_id", "team_id",
              "category_id"),
        # What needs a coordinator's eye: by status, the longest idle first (updated_at is
        # the last activity), and reopened ones counted from the index alone (migration 0011).
        Index("ix_tickets_status_updated", "status", "updated_at", "reopen_count"),
        # Open tickets per ward or team and status, and the oldest: the index alone.
        Index("ix_tickets_status_place_created", "status", "ward_id", "team_id", "created_at"),
        one_of("status", Status),
        one_of("channel", Channel),
        one_of("location_source", LocationSource),
        one_of("routing_reason", RoutingReason),
        one_of("notify_channel", NotifyChannel),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # A client-made token for the form or API call, so a double submit creates one ticket.
    submission_key: Mapped[str | None] = mapped_column(String(SUBMISSION_KEY_MAX), unique=True)

    resident_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX))
    phone_last4: Mapped[str] = mapped_column(String(4))
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX))
    street: Mapped[str | None] = mapped_column(String(STREET_MAX))

    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id"))
    requested_ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id"))
    ward_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why routing left the ticket in triage, or flagged the picked ward (RoutingReason).
    routing_reason: Mapped[str | None] = mapped_column(String(24))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str | None] = mapped_column(String(16))

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16), default=Channel.WEB)
    needs_elderly: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_disability: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_home_visit: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_time: Mapped[str | None] = mapped_column(String(PREFERRED_TIME_MAX))
    media_url: Mapped[str | None] = mapped_column(String(MEDIA_URL_MAX))
    consent_at: Mapped[datetime] = mapped_column(DateTime)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))

    status: Mapped[str] = mapped_column(String(16), default=Status.NEW)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    unanswered_attempts: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The first resolution, kept through reopenings, for "time to resolve" statistics.
    first_resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(DateTime)

    # How the resident chose to hear back (None on tickets from before the choice
    # existed: nothing is sent), in which language; when they said stop; the 1–5
    # rating they may give when they confirm it is solved.
    notify_channel: Mapped[str | None] = mapped_column(String(16))
    notify_locale: Mapped[str | None] = mapped_column(String(8))
    notify_stopped_at: Mapped[datetime | None] = mapped_column(DateTime)
    rating: Mapped[int | None] = mapped_column(Integer)

    ward: Mapped[Ward | None] = relationship(foreign_keys=[ward_id])
    requested_ward: Mapped[Ward | None] = relationship(foreign_keys=[requested_ward_id])
    team: Mapped[Team | None] = relationship()
    category: Mapped[Category] = relationship()
    assignee: Mapped[User | None] = relationship()
    duplicate_of: Mapped[Ticket | None] = relationship(remote_side=[id])
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )


class TicketEvent(db.Model):
    """Append-only history: nothing about a ticket changes without one of these."""

    __tablename__ = "ticket_events"
    __table_args__ = (one_of("from_status", Status), one_of("to_status", Status))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Visit(db.Model):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_campaign_ward", "campaign_id", "ward_id"),
        one_of("outcome", VisitOutcome),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    household_label: Mapped[str] = mapped_column(String(HOUSEHOLD_LABEL_MAX))
    # Lower-cased, space-folded label: a household visited twice counts once.
    household_key: Mapped[str] = mapped_column(String(HOUSEHOLD_LABEL_MAX))
    street: Mapped[str | None] = mapped_column(String(STREET_MAX))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(24))
    helped_with: Mapped[str] = mapped_column(String(HELPED_WITH_MAX), default="")
    note: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    ward: Mapped[Ward] = relationship()
    volunteer: Mapped[User] = relationship()
    ticket: Mapped[Ticket | None] = relationship()


class Notification(db.Model):
    """A message to a user; the unique key makes a job that runs twice notify once."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class OutboxMessage(db.Model):
    """A message to deliver, written in the same transaction as the event that causes
    it; the worker (notifications/worker.py) delivers it. `address` (phone, e-mail,
    push subscription) is personal data: never logged, erased with the ticket's."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_recipient_created", "recipient_key", "created_at"),
        one_of("status", OutboxStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Who, without personal data: "resident:<hash of the phone>", "user:<id>".
    recipient_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # One message per (event, recipient, channel): a second enqueue is skipped.
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    # Handed to the provider as its request id, so a retry after a worker died
    # mid-send is recognised as the same message where the provider supports it.
    delivery_key: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class ProviderToken(db.Model):
    """A provider's current OAuth tokens (Zalo rotates its refresh token on every
    refresh, so the latest one must be kept where every worker finds it)."""

    __tablename__ = "provider_tokens"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(String(1000))
    refresh_token: Mapped[str] = mapped_column(String(1000))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# The phone app (migration 0010_phone_app). Lengths shared with the forms and the sync API.
IDEMPOTENCY_KEY_MAX = 64
PUSH_ENDPOINT_MAX = 1000
PUSH_KEY_MAX = 200


class ProcessedAction(db.Model):
    """An action the phone recorded (offline, perhaps) and sent with an idempotency key:
    a second delivery of the same key answers what the first did, and changes nothing."""

    __tablename__ = "processed_actions"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key", name="uq_processed_actions_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_MAX))
    # 2xx: carried out; 4xx: refused (the message says what happened to the ticket).
    http_status: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class PushSubscription(db.Model):
    """One device of a person that accepted alerts; a person may have several."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(PUSH_ENDPOINT_MAX), unique=True)
    p256dh: Mapped[str] = mapped_column(String(PUSH_KEY_MAX))
    auth: Mapped[str] = mapped_column(String(PUSH_KEY_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AlertPreference(db.Model):
    """What a person wants to be alerted about on the phone, and when."""

    __tablename__ = "alert_preferences"
    __table_args__ = (one_of("new_requests", NewRequestAlerts),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    new_requests: Mapped[str] = mapped_column(String(16), default=NewRequestAlerts.NEVER)
    # Local hours (Asia/Ho_Chi_Minh), from inclusive to exclusive; both empty: any hour.
    from_hour: Mapped[int | None] = mapped_column(Integer)
    to_hour: Mapped[int | None] = mapped_column(Integer)


class DurationCount(db.Model):
    """How many tickets took how long: a histogram of the time to claim and to first
    resolve, per local day (and month) of creation, ward, team, category and campaign, so the
    coordinators' medians read a few thousand cells instead of every ticket of the
    window. Kept by `figures.record_durations` in the transaction of the step that
    changes a ticket's times or place; `figures.rebuild_durations` refills it.

    0 stands for "none" in ward_id, team_id and campaign_id (they are key columns).
    `bucket` is the duration in steps of 0.1 hour (claim) or 0.1 day (resolve)."""

    __tablename__ = "duration_counts"
    __table_args__ = (one_of("measure", ("claim", "resolve")), one_of("period", ("d", "m")),
                      {"sqlite_with_rowid": False})

    period: Mapped[str] = mapped_column(String(1), primary_key=True)  # "d" day, "m" month
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first for "m"
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    ward_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)
