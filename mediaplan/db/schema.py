"""The one schema module: every table mediaplan stores, as SQLAlchemy 2 typed models.

Times are stored in UTC (`UTCDateTime` refuses naive datetimes so a local time can
never slip in unnoticed) and shown in the plan's local zone by the interfaces.
Codes (formats, channels, statuses…) are the `StrEnum` vocabularies of `mediaplan.vocab`,
stored through `closed()`: a VARCHAR with a CHECK constraint named `ck_<table>_<column>`,
so the database itself refuses a value outside its vocabulary, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    MetaData,
    event,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Index,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mediaplan.vocab import (
    AgencyKind,
    Channel,
    CoverageStatus,
    CrawlStatus,
    EntityKind,
    FeedScope,
    Format,
    HeadcountKind,
    ItemKind,
    KeyDateSource,
    LinkStatus,
    MatchedBy,
    OutletKind,
    Platform,
    RegisterKind,
    ReminderCadence,
    ReminderKind,
    ReportState,
    Role,
    SendStatus,
    SourceKind,
    StoryStatus,
    TargetMetric,
    TargetPer,
    TargetUnit,
    TextField,
    ThemeGroup,
    ThemeMethod,
    TokenPurpose,
    Vocabulary,
    WorkflowAction,
    WorkflowEntity,
)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which has no tz) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store times as aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def closed(vocabulary: type[Vocabulary], length: int = 20) -> Enum:
    """A column type for one vocabulary: the codes as VARCHAR, refused by a CHECK constraint when unknown.

    Not a native PostgreSQL ENUM: adding a code is then one migration that swaps a CHECK constraint,
    the same on both databases. Values load back as the enum's members (which are `str`s).
    """
    return Enum(vocabulary, name=None, native_enum=False, create_constraint=True,
                length=length, validate_strings=True, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention={"ix": "ix_%(column_0_label)s", "ck": "ck_%(table_name)s_%(column_0_name)s"})
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


# --- plan data (loaded from mediaplan/plans/<plan>/) -------------------------------------


class Theme(Base):
    __tablename__ = "themes"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    group: Mapped[ThemeGroup] = mapped_column(closed(ThemeGroup, 10))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(80), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Agency(Base):
    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[AgencyKind] = mapped_column(closed(AgencyKind))
    unit_type: Mapped[str | None] = mapped_column(String(20))  # Xã | Phường | Đặc khu
    admin_code: Mapped[str | None] = mapped_column(String(10))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    parent_key: Mapped[str | None] = mapped_column(String(80))  # the agency a unit belongs to (agencies.yaml `parent`)


class Outlet(Base):
    __tablename__ = "outlets"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OutletKind] = mapped_column(closed(OutletKind))
    agency_key: Mapped[str | None] = mapped_column(String(80))
    homepage: Mapped[str | None] = mapped_column(String(500))
    profile: Mapped[str | None] = mapped_column(String(80))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # The portal's own health, for a unit with no source yet: when `sources discover` last read the home page and,
    # when it could not, why (services.discovery); a NULL error means the last check reached it.
    checked_at: Mapped[datetime | None]
    check_error: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[list[Source]] = relationship(back_populates="outlet", order_by="Source.key")


class Source(Base):
    """A place we fetch from, with its health: the answer to "why is this source not collecting?"."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    kind: Mapped[SourceKind] = mapped_column(closed(SourceKind))
    url: Mapped[str] = mapped_column(String(1000))
    channel: Mapped[Channel] = mapped_column(closed(Channel))
    platform: Mapped[Platform | None] = mapped_column(closed(Platform, 40))
    interval_minutes: Mapped[int] = mapped_column(Integer, default=60)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    adhoc: Mapped[bool] = mapped_column(Boolean, default=False)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    outlet: Mapped[Outlet] = relationship(back_populates="sources")


class Target(Base):
    __tablename__ = "targets"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    definition: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(80), default="")
    metric: Mapped[TargetMetric] = mapped_column(closed(TargetMetric, 40))  # "manual" = entered by hand
    theme: Mapped[str | None] = mapped_column(String(40))
    platform: Mapped[Platform | None] = mapped_column(closed(Platform))  # theme targets may be per platform…
    format: Mapped[Format | None] = mapped_column(closed(Format))  # …and per format
    threshold: Mapped[float] = mapped_column(Float)
    unit: Mapped[TargetUnit] = mapped_column(closed(TargetUnit))
    per: Mapped[TargetPer | None] = mapped_column(closed(TargetPer))
    due: Mapped[date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # metric "register": which register counts (conferences or courses) and which headcount divides (services.registers)
    register: Mapped[RegisterKind | None] = mapped_column(closed(RegisterKind))
    headcount: Mapped[HeadcountKind | None] = mapped_column(closed(HeadcountKind))


class TargetValue(Base):
    """A figure entered by hand (e.g. share of communication staff trained), with its evidence."""

    __tablename__ = "target_values"
    id: Mapped[int] = mapped_column(primary_key=True)
    target_key: Mapped[str] = mapped_column(ForeignKey("targets.key"))
    as_of: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(80))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class KeyDate(Base):
    __tablename__ = "key_dates"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    month: Mapped[int | None] = mapped_column(Integer)  # yearly dates: month/day
    day: Mapped[int | None] = mapped_column(Integer)
    day_end: Mapped[int | None] = mapped_column(Integer)  # approximate windows ("late May")
    month_end: Mapped[int | None] = mapped_column(Integer)
    on: Mapped[date | None] = mapped_column(Date)  # one-off dates
    themes: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    uid: Mapped[str | None] = mapped_column(String(300), unique=True)  # imported from an outside calendar
    source: Mapped[KeyDateSource] = mapped_column(closed(KeyDateSource), default=KeyDateSource.PLAN)


# --- monitoring ---------------------------------------------------------------------------


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[CrawlStatus] = mapped_column(closed(CrawlStatus), default=CrawlStatus.RUNNING)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per source: new/updated/unchanged/failed


class FetchState(Base):
    """HTTP validators per URL (ETag, Last-Modified) for conditional GETs of feeds and listings."""

    __tablename__ = "fetch_state"
    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[int | None] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


COUNTED = ("published_at", "outlet_id", "cluster_id", "education", "nq71", "channel", "format", "id")


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (Index("ix_items_published_at", "published_at"), Index("ix_items_content_hash", "content_hash"),
                      # Every count of a period (reports.counts) reads only these columns of the period's rows: with
                      # them in one index the counts never visit the table (1M items: a month's figures 4.3 → 1.8 s).
                      Index("ix_items_period_counts", *COUNTED))
    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    kind: Mapped[ItemKind] = mapped_column(closed(ItemKind))
    url: Mapped[str] = mapped_column(String(1000))
    canonical_url: Mapped[str] = mapped_column(String(1000), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    sapo: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    raw_title: Mapped[str] = mapped_column(Text, default="")  # before normalisation
    author: Mapped[str | None] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    channel: Mapped[Channel] = mapped_column(closed(Channel))
    format: Mapped[Format | None] = mapped_column(closed(Format))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    raw_ref: Mapped[str | None] = mapped_column(String(500))  # where the raw payload is kept
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)  # video id, duration, views, thumbnail…
    education: Mapped[bool | None] = mapped_column(Boolean)
    nq71: Mapped[bool | None] = mapped_column(Boolean)
    classified_at: Mapped[datetime | None]
    # The learned education model's view, kept whatever decided the flag, so the review queue can find where
    # it and the rules disagree (or where it is least sure) in SQL: its probability, the rules' own decision,
    # its top terms with offsets (shown on the item page and in exports), and the queue's order.
    education_probability: Mapped[float | None] = mapped_column(Float)
    education_rules: Mapped[bool | None] = mapped_column(Boolean)
    education_auto: Mapped[bool | None] = mapped_column(Boolean)  # the classifier's decision, before any editor's
    education_evidence: Mapped[list[Any]] = mapped_column(default=list)  # [{"text", "field", "start", "end", "weight"}]
    review_priority: Mapped[float | None] = mapped_column(Float, index=True)  # None: nothing to review
    # An editor's decision on the flag wins over re-classification, as a manual theme label does.
    education_manual: Mapped[bool | None] = mapped_column(Boolean)
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    reviewed_at: Mapped[datetime | None]
    cluster_id: Mapped[int | None] = mapped_column(Integer, index=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    # What search reads, kept by `_keep_search_text` below: the lower-cased text, and the same accent-folded.
    # Deferred: a page of items never loads them, only the WHERE clause reads them.
    search_text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    search_folded: Mapped[str] = mapped_column(Text, default="", deferred=True)
    outlet: Mapped[Outlet] = relationship()
    source: Mapped[Source | None] = relationship()
    themes: Mapped[list[ItemTheme]] = relationship(back_populates="item", cascade="all, delete-orphan")
    entities: Mapped[list[ItemEntity]] = relationship(back_populates="item", cascade="all, delete-orphan")


def search_texts(title: str, sapo: str, body: str) -> tuple[str, str]:
    """The two search columns of an item: exact (lower-cased) and accent-folded, one definition for both databases."""
    from mediaplan.nlp.normalize import fold, normalize

    text = normalize(f"{title}\n{sapo}\n{body}").lower()
    return text, fold(text)


@event.listens_for(Item, "before_insert")
@event.listens_for(Item, "before_update")
def _keep_search_text(mapper, connection, item: Item) -> None:
    """Whoever writes an item's text (the store, an import, a test), its search columns follow."""
    from sqlalchemy import inspect

    state = inspect(item)
    if state.persistent and not any(state.attrs[f].history.has_changes() for f in ("title", "sapo", "body")):
        return
    item.search_text, item.search_folded = search_texts(item.title or "", item.sapo or "", item.body or "")


class ItemBand(Base):
    """One LSH band key of an item's MinHash (`nlp.dedupe.band_keys`, 18 per item): items sharing a key are
    near-duplicate candidates. Kept here, classify asks for a batch's candidates by key (`nlp.clusters`) instead of
    rebuilding an index of every stored signature in memory on each run (182 MB and 4 s at 20k items, issue 14)."""

    __tablename__ = "item_bands"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the row: no second copy in a rowid table
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True)


class ItemRevision(Base):
    """The previous version of an item that changed after it was first stored."""

    __tablename__ = "item_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemTheme(Base):
    __tablename__ = "item_themes"
    # Counting by theme (reports, gaps, the dashboard) starts from the theme: the primary key (item_id, theme_code)
    # cannot serve that, so a month at 1M items read every row of the table.
    __table_args__ = (Index("ix_item_themes_theme_code_item_id", "theme_code", "item_id"),)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    theme_code: Mapped[str] = mapped_column(ForeignKey("themes.code"), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    method: Mapped[ThemeMethod] = mapped_column(closed(ThemeMethod, 10))
    evidence: Mapped[list[Any]] = mapped_column(default=list)  # [{"text", "field", "start", "end", "weight"}]
    set_by: Mapped[str | None] = mapped_column(String(80))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)  # a manual "not this theme"
    # What the classifier had said before an editor decided (rule or model; None: the editor added it): the
    # reviewed precision of `nlp status` is the share of these proposals that editors kept.
    proposed_by: Mapped[ThemeMethod | None] = mapped_column(closed(ThemeMethod, 10))
    item: Mapped[Item] = relationship(back_populates="themes")


class ItemEntity(Base):
    __tablename__ = "item_entities"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EntityKind] = mapped_column(closed(EntityKind))
    key: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(String(300))
    field: Mapped[TextField] = mapped_column(closed(TextField, 10))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    item: Mapped[Item] = relationship(back_populates="entities")


# --- editorial calendar -------------------------------------------------------------------


def assignee_fk(name: str) -> ForeignKey:
    """An assignee is a user: the column holds `users.username` (migration 0010), renames follow it."""
    return ForeignKey("users.username", onupdate="CASCADE", name=name)


class Column(Base):
    """A recurring slot (chuyên mục); recurrence is an RFC 5545 RRULE from a local DTSTART."""

    __tablename__ = "columns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    platform: Mapped[Platform] = mapped_column(closed(Platform))
    format: Mapped[Format] = mapped_column(closed(Format))
    themes: Mapped[list[Any]] = mapped_column(default=list)
    assignee: Mapped[str | None] = mapped_column(String(80), assignee_fk("fk_columns_assignee"))  # users.username
    rrule: Mapped[str] = mapped_column(String(300))
    dtstart: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    lead_days: Mapped[int] = mapped_column(Integer, default=2)
    desk: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    outlet: Mapped[Outlet] = relationship()


class Story(Base):
    """A planned story: the idea, its angle and themes. Its coverages say where and when it runs.

    A story without a planning date is in the ideas backlog. A story that fills a column's
    slot keeps the slot's original start (the iCal RECURRENCE-ID) even when it is moved.
    """

    __tablename__ = "stories"
    __table_args__ = (UniqueConstraint("column_id", "occurrence_start", name="uq_story_occurrence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    brief: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[list[Any]] = mapped_column(default=list)
    key_date: Mapped[str | None] = mapped_column(String(80))
    column_id: Mapped[int | None] = mapped_column(ForeignKey("columns.id"))
    occurrence_start: Mapped[datetime | None]  # the series slot it fills (RECURRENCE-ID)
    planned_on: Mapped[date | None] = mapped_column(Date)  # None: ideas backlog
    priority: Mapped[int] = mapped_column(Integer, default=2)  # 1 high … 3 low
    status: Mapped[StoryStatus] = mapped_column(closed(StoryStatus), default=StoryStatus.IDEA)
    desk: Mapped[str | None] = mapped_column(String(80))
    created_by: Mapped[str | None] = mapped_column(String(120))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    column: Mapped[Column | None] = relationship()
    coverages: Mapped[list[Coverage]] = relationship(back_populates="story", cascade="all, delete-orphan",
                                                     order_by="Coverage.id")


class Coverage(Base):
    """One story on one platform in one format, with its own slot, deadline, assignee and status."""

    __tablename__ = "coverages"
    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    platform: Mapped[Platform | None] = mapped_column(closed(Platform))
    format: Mapped[Format | None] = mapped_column(closed(Format))
    assignee: Mapped[str | None] = mapped_column(String(80), assignee_fk("fk_coverages_assignee"))  # users.username
    status: Mapped[CoverageStatus] = mapped_column(closed(CoverageStatus), default=CoverageStatus.IDEA)
    publish_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    story: Mapped[Story] = relationship(back_populates="coverages")
    outlet: Mapped[Outlet | None] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="coverage", cascade="all, delete-orphan")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="coverage", cascade="all, delete-orphan",
                                                         order_by="Assignment.id")


class Assignment(Base):
    """Assignment history: who was given a coverage, by whom and when."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverages.id", ondelete="CASCADE"), index=True)
    assignee: Mapped[str] = mapped_column(String(80), assignee_fk("fk_assignments_assignee"))  # users.username
    assigned_by: Mapped[str] = mapped_column(String(120))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    coverage: Mapped[Coverage] = relationship(back_populates="assignments")


class WorkflowEvent(Base):
    """The audit log: every state change and move of a story, coverage or column, with who and when."""

    __tablename__ = "workflow_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[WorkflowEntity] = mapped_column(closed(WorkflowEntity))
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[WorkflowAction] = mapped_column(closed(WorkflowAction))
    from_value: Mapped[str | None] = mapped_column(String(300))
    to_value: Mapped[str | None] = mapped_column(String(300))
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class Delivery(Base):
    """The link from a coverage to the monitored item that delivered it.

    `confirmed` links count as delivered; a `suggested` one waits for an editor.
    """

    __tablename__ = "deliveries"
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverages.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    matched_by: Mapped[MatchedBy] = mapped_column(closed(MatchedBy, 10))
    status: Mapped[LinkStatus] = mapped_column(closed(LinkStatus, 10), default=LinkStatus.CONFIRMED)
    score: Mapped[float] = mapped_column(Float, default=0)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    coverage: Mapped[Coverage] = relationship(back_populates="deliveries")
    item: Mapped[Item] = relationship()


class ReminderSent(Base):
    """One row per reminder e-mailed: the guarantee that a restart never sends it twice."""

    __tablename__ = "reminders_sent"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # kind:coverage:deadline:recipient, unit_silent:period:unit:recipient
    recipient: Mapped[str] = mapped_column(String(300))
    kind: Mapped[ReminderKind] = mapped_column(closed(ReminderKind))
    digest: Mapped[ReminderCadence] = mapped_column(closed(ReminderCadence))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by: Mapped[str | None] = mapped_column(String(80))  # who asked for it (a unit reminder); None: the scheduler


class FeedToken(Base):
    """The secret of a read-only URL: an iCal subscription or the shared calendar view.

    Only the secret's SHA-256 is stored (`token`), so a copy of the database opens no calendar; the secret is
    shown once, when made. Each purpose has its own token, and a token may expire (`expires_at`); regenerating
    it revokes the old URL.
    """

    __tablename__ = "feed_tokens"
    __table_args__ = (UniqueConstraint("purpose", "scope", "key", name="uq_feed_purpose_scope_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[TokenPurpose] = mapped_column(closed(TokenPurpose, 10), default=TokenPurpose.ICAL)
    scope: Mapped[FeedScope] = mapped_column(closed(FeedScope, 10))
    key: Mapped[str] = mapped_column(String(120), default="")
    token: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the secret
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]


# --- reports ------------------------------------------------------------------------------


class DataVersion(Base):
    """One row whose `n` grows with every committed write that could change a figure (`db.versioning`): what
    tells a cached set of figures (`FiguresCache`) that it is still current."""

    __tablename__ = "data_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class FiguresCache(Base):
    """The dashboard's figures of a period, as `reports.metrics.compute` made them at data version `version`
    (`reports.cache`): read back while the version is the current one, so a view costs two lookups, not the
    few dozen counts of a month."""

    __tablename__ = "figures_cache"
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReportVersion(Base):
    """One build of a period's report: draft → approved → sent. Only an approved (or already sent) version is sent.

    A version never changes once approved: its files are copied into `out_dir` (an archive of its own, under the
    data dir), its figures and the analysts' narrative edits it was built with are kept here, and `content_hash`
    (figures + narrative) tells a rebuild that changes nothing from one that needs a new version.
    """

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("period", "version", name="uq_report_version_period_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(20))  # periods.Period.key: 2026-11, 2026-Q4, 2026-H2, 2026, since-start
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, … within the period
    state: Mapped[ReportState] = mapped_column(closed(ReportState, 10), default=ReportState.DRAFT)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    built_by: Mapped[str | None] = mapped_column(String(80))
    approved_by: Mapped[str | None] = mapped_column(String(80))
    approved_at: Mapped[datetime | None]
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    narrative: Mapped[dict[str, Any]] = mapped_column(default=dict)  # section key → the analyst's text it was built with
    out_dir: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64))
    notified_at: Mapped[datetime | None]  # when the analysts were told this draft is ready
    deliveries: Mapped[list[ReportDelivery]] = relationship(back_populates="version", order_by="ReportDelivery.recipient")


class ReportNarrative(Base):
    """An analyst's text for one narrative section of a period's report: kept per period, so every rebuild keeps it."""

    __tablename__ = "report_narratives"
    __table_args__ = (UniqueConstraint("period", "section", name="uq_report_narrative_period_section"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(20))
    section: Mapped[str] = mapped_column(String(20))  # reports.versions.NARRATIVE_SECTIONS
    text: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[str] = mapped_column(String(80))
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportDelivery(Base):
    """One row per version and recipient, written before the SMTP conversation begins and updated as it goes.

    Nobody gets one version twice silently (a `sent` or `uncertain` row is never sent again unless an analyst
    asks), and no e-mail is lost silently (`failed` rows are retried at `next_attempt_at`; every answer is kept).
    """

    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("version_id", "recipient", name="uq_report_delivery_version_recipient"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id", name="fk_report_deliveries_version"))
    period: Mapped[str] = mapped_column(String(20))  # the version's, for the delivery log
    recipient: Mapped[str] = mapped_column(String(300))
    status: Mapped[SendStatus] = mapped_column(closed(SendStatus, 10), default=SendStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_answer: Mapped[str | None] = mapped_column(Text)  # what the server last answered, or why it could not be reached
    message_id: Mapped[str | None] = mapped_column(String(300))  # stable per version and recipient
    started_at: Mapped[datetime | None]  # when the latest attempt began
    sent_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]  # a transient failure's retry; None: none planned
    version: Mapped[ReportVersion] = relationship(back_populates="deliveries")


class User(Base):
    """A person who signs in: the only way anyone acts in the web app, so the audit log and the labels name people.

    `password_hash` is argon2id (auth.passwords); `session_epoch` is in every session cookie, so changing the
    password or disabling the account ends every session at once; `locked_until` is set by repeated failed logins.
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(300))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(closed(Role, 10))
    desk: Mapped[str | None] = mapped_column(String(80))
    capacity_per_week: Mapped[int] = mapped_column(Integer, default=5)  # coverages due in one week
    password_hash: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]


class LoginAttempt(Base):
    """Every login attempt, kept for the rate limits (per account and per address) and for the security log."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"), Index("ix_login_attempts_address_at", "address", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)


class PasswordReset(Base):
    """A password-reset link: only its SHA-256 is stored; single use (`used_at`) and short-lived (`expires_at`)."""

    __tablename__ = "password_resets"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE", name="fk_password_resets_user"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


# --- registers: conferences and courses, attendance per unit, evidence, headcounts (plan II.1, III.4) ------------


class RegisterEvent(Base):
    """One dissemination conference (hội nghị quán triệt, plan II.1) or one course (lớp đào tạo, bồi dưỡng, III.4).

    The registers replace typed-in shares: the targets on staff disseminated and trained are counted from these
    events' attendance per unit against each unit's headcount (services.registers), so every figure in the report
    can be traced to an event and to the files that prove it.
    """

    __tablename__ = "register_events"
    __table_args__ = (Index("ix_register_events_kind_held_on", "kind", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RegisterKind] = mapped_column(closed(RegisterKind))
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date] = mapped_column(Date)
    organiser: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    participants: Mapped[list[RegisterParticipation]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="RegisterParticipation.unit_key")
    evidence: Mapped[list[RegisterEvidence]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="RegisterEvidence.id")


class RegisterEvidence(Base):
    """A file that proves an event (minutes, attendance list, decision), stored once under the data dir by content.

    The bytes live at `evidence/<sha256>` (content-addressed): the same file sent twice is stored once, and the hash
    printed in the report lets anyone check that the copy they hold is the one counted. The row keeps the name it
    was sent under, its size and who sent it.
    """

    __tablename__ = "register_evidence"
    __table_args__ = (UniqueConstraint("event_id", "sha256", name="uq_register_evidence_event_sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("register_events.id", ondelete="CASCADE", name="fk_register_evidence_event"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(String(300))  # relative to the data dir: evidence/<sha256>
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[RegisterEvent] = relationship(back_populates="evidence")


class RegisterParticipation(Base):
    """How many people of one unit attended one event: one number per event and unit, a later list replacing it.

    `evidence_id` is the file the number came from (an imported list), so re-importing that file replaces exactly
    the rows it wrote and never adds them twice; None for a number entered by hand.
    """

    __tablename__ = "register_participants"
    __table_args__ = (UniqueConstraint("event_id", "unit_key", name="uq_register_participant_event_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("register_events.id", ondelete="CASCADE", name="fk_register_participants_event"))
    unit_key: Mapped[str] = mapped_column(ForeignKey("agencies.key", name="fk_register_participants_unit"))
    count: Mapped[int] = mapped_column(Integer)
    evidence_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_evidence.id", ondelete="SET NULL", name="fk_register_participants_evidence"))
    entered_by: Mapped[str] = mapped_column(String(80))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[RegisterEvent] = relationship(back_populates="participants")


class UnitHeadcount(Base):
    """A unit's headcount of one kind as of a day, with its source: the denominators of the register targets.

    Kept in the database, not in the plan's YAML, because units report these numbers and revise them, and the report
    must say which number it divided by. One row per unit, kind and day; a new figure for the same day replaces it,
    a figure for a later day is kept beside the earlier one (services.registers picks the one in force).
    """

    __tablename__ = "unit_headcounts"
    __table_args__ = (UniqueConstraint("unit_key", "kind", "as_of", name="uq_unit_headcount_unit_kind_as_of"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_key: Mapped[str] = mapped_column(ForeignKey("agencies.key", name="fk_unit_headcounts_unit"))
    kind: Mapped[HeadcountKind] = mapped_column(closed(HeadcountKind))
    count: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(80))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
