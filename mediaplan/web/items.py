"""The items: the filtered, searchable list (`/items`), one item with its evidence, and an
editor's label correction.

The list is one query shape whatever the size of the table: a COUNT, the ids of one
page in the order (exact search matches first, then newest first, undated last, ties by
id), then those items with their themes and outlets. "Next page" links are keyset links
(`?after=ID`, the last row shown), read as a range of the published_at index, so a deep
page costs what the first does; `?page=N` still works as an offset for old links. A search
reads the newest rows first and asks its index only when they hold less than a page
(`_run_ids`, `count_list`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Subquery, and_, case, exists, func, not_, select, true, tuple_
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.sql.util import ClauseAdapter

from mediaplan.db.schema import Item, ItemTheme, Outlet
from mediaplan.db.search_index import exact_prefilter, prefilter, searched_columns, word_start
from mediaplan.crawler.store import http_url
from mediaplan.i18n import N_, _, using
from mediaplan.localtime import to_local
from mediaplan.nlp.decided import KIND_LABELS, decimal, education_view, versus
from mediaplan.nlp.labels import LabelError
from mediaplan.nlp.normalize import fold, normalize
from mediaplan.periods import month_bounds
from mediaplan.plans import current_plan
from mediaplan.services.items import label_item
from mediaplan.tabular import Sheet, iter_csv, iter_xlsx
from mediaplan.vocab import label
from mediaplan.auth.roles import Ability
from mediaplan.web.deps import MAX_ID, DbId, SessionDep, templates, theme_names, valid_month, who
from mediaplan.web import budget
from mediaplan.web.security import allow
from mediaplan.web.errors import form_text, query_text

router = APIRouter()

PAGE_SIZE = 50
Q_MAX = 200  # a search is a few words; a longer one is refused rather than scanned for
ORDER = (Item.published_at.desc(), Item.id.desc())


@dataclass(frozen=True)
class ItemFilters:
    theme: str = ""
    outlet: str = ""
    month: str = ""
    q: str = ""
    education: str = ""


@dataclass
class ItemPage:
    items: list[Item]
    total: int  # the items the filters select; when total_exact is False, a lower bound (COUNT_CAP, or see lower_bound)
    next_after: int | None  # the id to continue after, when there are more rows
    total_exact: bool = True
    lower_bound: bool = False  # not exact, and `total` is what was counted, not COUNT_CAP: "at least", not "more than"


def _like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, with LIKE's own wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class Search:
    """A search as conditions on items: `match` is every item it finds, a LIKE (and the word start); `first`, when
    not None, the exact matches that come first (each of them is a `match` too); `narrowed`, the search index's
    candidates where the database needs them spelt out (SQLite's FTS5, PostgreSQL's word pairs:
    `db.search_index.prefilter`), None where its trigram index serves the LIKE itself."""
    match: ColumnElement
    first: ColumnElement | None
    narrowed: ColumnElement | None
    newest: tuple[int, bool] | None = None  # `_tally` of `match` over the filters, when it was read already
    first_narrowed: ColumnElement | None = None  # the index's candidates for `first` alone (`exact_prefilter`)

    def indexed(self, condition: ColumnElement, first: bool = False) -> ColumnElement:
        """`condition` (a match of this search; with `first`, an exact one), as the search index can answer it."""
        narrowed = [n for n in (self.narrowed, self.first_narrowed if first else None) if n is not None]
        return and_(*narrowed, condition) if narrowed else condition


def _search(session: Session, q: str, where: list) -> Search:
    """The search's conditions. An accented query means what it says (Sơn Hà ≠ Sơn Hạ): if it matches exactly, only
    the exact matches count. A query typed without accents, or an accented one with no exact match, also finds the
    accent-folded text, after the exact matches.
    """
    needle = normalize(q).lower()
    folded = fold(needle)
    narrowed = prefilter(session, folded)
    # Every exact match is a folded match too (folding keeps substrings: fold(a + b) == fold(a) + fold(b)); the
    # folded LIKE stays in the exact condition, for the search index to serve it.
    exact_text, folded_text = searched_columns(session, narrowed)
    match = folded_text.like(_like(folded), escape="\\")
    exact = and_(exact_text.like(_like(needle), escape="\\"), match)
    if (pattern := word_start(folded)) is not None:  # a match starts a word: "son ha" is not in "json hash"
        starts = folded_text.regexp_match(pattern)
        match, exact = and_(match, starts), and_(exact, starts)
    if folded != needle:
        only_exact = Search(exact, None, narrowed, _tally(session, where, exact))
        if _any(session, where, only_exact):
            return only_exact
    # Typed without accents, the exact run has an index of its own (0019); an accented one's pairs are fragments.
    return Search(match, exact, narrowed, first_narrowed=exact_prefilter(session, needle) if folded == needle else None)


WINDOW = 2_000  # rows a search reads newest first before it asks its index


def _newest(where: list, condition: ColumnElement,
            order: tuple[ColumnElement, ...] = ORDER) -> tuple[Subquery, ColumnElement]:
    """The first WINDOW rows `where` selects in `order` (newest first), as a subquery, and `condition` on its
    columns.

    A word common in the news ("giáo viên") is on the first rows of the newest-first index, but an index of
    trigrams hands back half the table to re-check: its syllables' trigrams are the commonest of Vietnamese text
    (at 1M items in PostgreSQL, 1.6 to 7 s a page). A LIMIT subquery keeps the planner to the scan in order (no
    condition is pushed into it), whatever it guesses of a LIKE. Reading on in larger windows was measured and
    left out: 2,000 more rows cost about as much as the index's answer for a rare phrase (20 µs a row)."""
    window = (select(Item.id, Item.published_at, Item.search_text, Item.search_folded)
              .where(*where).order_by(*order).limit(WINDOW).subquery("newest"))
    return window, ClauseAdapter(window).traverse(condition)


def _tally(session: Session, where: list, condition: ColumnElement) -> tuple[int, bool]:
    """How many of the newest WINDOW rows `where` selects match `condition`, and whether they are all its rows.
    Newest by id, so that undated items need no rule of their own and both databases read the same rows."""
    window, on_window = _newest(where, condition, (Item.id.desc(),))
    rows, matches = session.execute(select(func.count(), func.count(case((on_window, 1)))).select_from(window)).one()
    return matches, rows < WINDOW


def _any(session: Session, where: list, search: Search) -> bool:
    """Whether the search finds anything: among the newest rows (its `_tally`), else by the index."""
    seen, everything = search.newest or _tally(session, where, search.match)
    if seen or everything:
        return seen > 0
    return bool(session.scalar(select(exists().where(*where, search.indexed(search.match)))))


def _segments(first: ColumnElement | None) -> list[tuple[ColumnElement, ...]]:
    """The list order as consecutive runs, each sorted by (published_at DESC, id DESC) alone:
    matches of `first` (exact search matches) before the others, and in each, dated items
    before undated ones. A page is then a range scan of the published_at index on both
    databases, and undated items come last on both."""
    ranks = [()] if first is None else [(first,), (not_(first),)]
    return [(*rank, dated) for rank in ranks for dated in (Item.published_at.is_not(None), Item.published_at.is_(None))]


def _after(item_id: int, published) -> ColumnElement:
    """The keyset condition "after this row" in the list's order (undated rows are ordered by id alone)."""
    return Item.id < item_id if published is None else tuple_(Item.published_at, Item.id) < (published, item_id)


def _run_ids(session: Session, where: list, search: Search | None, run: tuple[ColumnElement, ...], seek: list,
             limit: int) -> list[int]:
    """Up to `limit` ids of one run (`_segments`) in order. With a search, the newest WINDOW rows answer first; when
    they hold fewer than `limit` matches and more rows follow, the search index gives every match of the run (a
    MATERIALIZED set: the planner cannot turn it back into a walk of the whole table in date order), sorted."""
    if search is None:
        return list(session.scalars(select(Item.id).where(*where, *run, *seek).order_by(*ORDER).limit(limit)))
    dated = run[-1]
    # The exact run is `first` alone (it holds the match, after the exact LIKE, which fails first on most rows)
    wanted = search.first if run[0] is search.first else and_(search.match, *run[:-1])
    window, on_window = _newest([*where, dated, *seek], wanted)
    found = list(session.scalars(select(window.c.id).where(on_window)
                                 .order_by(window.c.published_at.desc(), window.c.id.desc()).limit(limit)))
    if len(found) >= limit or session.scalar(select(func.count()).select_from(window)) < WINDOW:
        return found  # a page, or the whole run read
    matches = (select(Item.id, Item.published_at).where(search.indexed(wanted, first=run[0] is search.first),
                                                        *where, dated, *seek)
               .cte("matches").prefix_with("MATERIALIZED"))
    return list(session.scalars(select(matches.c.id).order_by(matches.c.published_at.desc(), matches.c.id.desc())
                                .limit(limit)))


def _keyset_ids(session: Session, where: list, search: Search | None, after: int | None,
                size: int = PAGE_SIZE) -> list[int]:
    """Up to `size` + 1 ids that follow item `after` (from the start when None), segment by segment."""
    first = search.first if search else None
    segments, start, seek = _segments(first), 0, []
    if after is not None:
        row = session.execute(select(Item.published_at, first if first is not None else true())
                              .where(Item.id == after)).first()
        if row is None:
            raise HTTPException(400, _("Không có tin, bài %(id)s để xem tiếp sau nó; mở lại trang đầu") % {"id": after})
        published, is_first = row
        start = (0 if is_first else 2) + (published is None)
        seek = [_after(after, published)]
    ids: list[int] = []
    for n, segment in enumerate(segments[start:], start):
        ids += _run_ids(session, where, search, segment, seek if n == start else [], size + 1 - len(ids))
        if len(ids) > size:
            break
    return ids


def list_order(first: ColumnElement | None) -> tuple[ColumnElement, ...]:
    """The list's order in one ORDER BY (exact search matches first, newest first, undated last, ties by id)."""
    rank = (case((first, 0), else_=1),) if first is not None else ()
    return (*rank, Item.published_at.desc().nulls_last(), Item.id.desc())


def _offset_ids(session: Session, where: list, first: ColumnElement | None, page: int) -> list[int]:
    """Page N (old `?page=` links): the same order in one statement, with an OFFSET."""
    query = select(Item.id).where(*where).order_by(*list_order(first))
    return list(session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))


def _filters(session: Session, f: ItemFilters) -> tuple[list, Search | None]:
    """The filters' conditions, and the search (None without one)."""
    where: list = []
    if f.month:
        start, end = month_bounds(valid_month(session, f.month))
        where += [Item.published_at >= start, Item.published_at < end]
    if f.theme:
        where.append(exists().where(ItemTheme.item_id == Item.id, ItemTheme.theme_code == f.theme,
                                    ItemTheme.removed.is_(False)))
    if f.outlet:
        where.append(Item.outlet.has(Outlet.key == f.outlet))
    if f.education == "1":
        where.append(Item.education.is_(True))
    return where, (_search(session, f.q, where) if f.q else None)


def filter_items(session: Session, f: ItemFilters) -> tuple[list, ColumnElement | None]:
    """The list's WHERE conditions for the filters and the search, and the exact-match condition that orders
    exact matches first (None without a search, or when only exact matches count): the one definition of
    which items a filtered list shows, for the page and its export. A malformed month is a PeriodError (400)."""
    where, search = _filters(session, f)
    if search is None:
        return where, None
    return [*where, search.indexed(search.match)], search.first


def list_items(session: Session, f: ItemFilters, *, after: int | None = None, page: int = 1,
               size: int = PAGE_SIZE) -> ItemPage:
    """One page of the filtered list (`size` items; the page's own is PAGE_SIZE), with the total count;
    filtering, search and paging all in SQL."""
    where, search = _filters(session, f)
    total, exact, bound = count_list(session, where, search, size)
    if after is None and page > 1:
        everything = where if search is None else [*where, search.indexed(search.match)]
        ids = _offset_ids(session, everything, search.first if search else None, page)
    else:
        ids = _keyset_ids(session, where, search, after, size)
    shown = ids[:size]
    loaded = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(shown))
                                               .options(selectinload(Item.themes), selectinload(Item.outlet)))}
    return ItemPage([loaded[i] for i in shown], total, shown[-1] if len(ids) > size else None, exact, bound)


COUNT_CAP = 10_000  # a list says "more than 10,000" rather than count a million rows on every page


def count_capped(session: Session, where: list) -> tuple[int, bool]:
    """How many items the list's conditions select, counted up to COUNT_CAP: (n, True), or (COUNT_CAP, False)
    when there are more. Counting every match of a common word at 1M items re-read a third of the table on each
    page; a list only needs to say how far it goes, and the report, the dashboard and the export count everything
    (`reports.counts`, the streamed export)."""
    found = session.scalar(select(func.count()).select_from(select(Item.id).where(*where).limit(COUNT_CAP + 1)
                                                           .subquery())) or 0
    return (found, True) if found <= COUNT_CAP else (COUNT_CAP, False)


def count_list(session: Session, where: list, search: Search | None, size: int = PAGE_SIZE) -> tuple[int, bool, bool]:
    """The list's count: (n, exact, lower_bound). Without a search, `count_capped`. With one, the newest WINDOW
    rows are counted first (`_tally`): when they are all the rows, that is the count; when more than a page
    (`size`) of them match, the word is common and the count stops there, as a lower bound ("at least n": the
    index would re-check a large part of the table to say more); else the index counts, up to COUNT_CAP."""
    if search is None:
        return (*count_capped(session, where), False)
    seen, everything = search.newest or _tally(session, where, search.match)
    if everything:
        return seen, True, False
    if seen > size:
        return seen, False, True
    return (*count_capped(session, [*where, search.indexed(search.match)]), False)


def ambiguous_forms(q: str) -> list[list[str]]:
    """Place names a query typed without accents could mean several of (Sơn Hà / Sơn Hạ)."""
    needle = normalize(q).lower()
    if not q or fold(needle) != needle:
        return []
    return [forms for key, forms in current_plan().fold_collisions.items() if key in needle]


def item_filters(theme: str | None = query_text(40), outlet: str | None = query_text(80),
                 month: str | None = query_text(20), q: str | None = query_text(Q_MAX),
                 education: str | None = query_text(1)) -> ItemFilters:
    """The list's filters from the query string, for the page and its export alike: a filter longer than its
    column (themes.code 40, outlets.key 80) or with a control character is a 422 before any query
    (PostgreSQL refuses NUL in text, once a 500 here)."""
    return ItemFilters(theme or "", outlet or "", month or "", q or "", education or "")


FiltersDep = Annotated[ItemFilters, Depends(item_filters)]


@router.get("/items", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def items(request: Request, session: SessionDep, filters: FiltersDep,
          page: int = Query(1, ge=1, le=100_000), after: int | None = Query(None, ge=1, le=MAX_ID)):
    """The list, with a link to download every row it filters (`/items/export`, the same filters)."""
    found = list_items(session, filters, after=after, page=page)
    return templates.TemplateResponse(request, "items.html", {
        "items": found.items, "total": found.total, "total_exact": found.total_exact,
        "lower_bound": found.lower_bound,
        "ambiguous": ambiguous_forms(filters.q),
        "next_after": found.next_after, "first_page": after is None and page == 1,
        "themes": theme_names(session), "outlets": session.scalars(select(Outlet).order_by(Outlet.name)).all(),
        "filters": vars(filters), "export_query": urlencode({k: v for k, v in vars(filters).items() if v}),
    })


EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
EXPORT_HEADER = ("ngày đăng", "tiêu đề", "đơn vị/cơ quan báo chí", "kênh", "thể loại", "chủ đề", "đường dẫn", "mã tin")
EXPORT_WIDTHS = (17, 70, 34, 14, 16, 40, 60, 10)
EXPORT_BATCH = 500  # rows per fetch from the server-side cursor, and per query of their themes


def export_rows(session: Session, f: ItemFilters, *, text_times: bool = False) -> Iterator[list]:
    """Every item the list shows for these filters, in the list's order, as the export's rows (EXPORT_HEADER).

    The filters and the search are the list's own (`filter_items`, `list_order`); the rows come from a
    server-side cursor `EXPORT_BATCH` at a time (`yield_per`), and each batch's themes in one query, so a
    million rows never sit in memory. The time is local (Asia/Ho_Chi_Minh): a datetime for XLSX, or text
    ("2026-11-20 09:00") with `text_times`; only an http(s) link is given, else the cell is empty.
    Filters are checked (a malformed month raises) when this is called, before any row is read."""
    where, first = filter_items(session, f)
    names = theme_names(session)
    outlet = aliased(Outlet)
    query = (select(Item.id, Item.published_at, Item.title, outlet.name, Item.channel, Item.format, Item.url)
             .join(outlet, outlet.id == Item.outlet_id).where(*where).order_by(*list_order(first))
             .execution_options(yield_per=EXPORT_BATCH))
    result = session.execute(query)

    def rows() -> Iterator[list]:
        for batch in result.partitions():
            themes: dict[int, list[str]] = {}
            for item_id, code in session.execute(
                    select(ItemTheme.item_id, ItemTheme.theme_code)
                    .where(ItemTheme.item_id.in_([r.id for r in batch]), ItemTheme.removed.is_(False))
                    .order_by(ItemTheme.item_id, ItemTheme.theme_code)):
                themes.setdefault(item_id, []).append(names.get(code, code))
            yield from _export_cells(batch, themes, text_times)

    return rows()


def _export_cells(batch, themes: dict[int, list[str]], text_times: bool) -> list[list]:
    """One batch's rows, with the vocabularies' names in Vietnamese (the export is Vietnamese, as the report)."""
    out = []
    with using("vi"):  # not around a yield: a streamed response may run each step in another context
        for r in batch:
            when = to_local(r.published_at) if r.published_at else None
            if when is not None and text_times:
                when = when.strftime("%Y-%m-%d %H:%M")
            out.append([when, r.title, r.name, label("channel", r.channel) if r.channel else "",
                        label("format", r.format) if r.format else "", "; ".join(themes.get(r.id, [])),
                        http_url(r.url) or "", r.id])
    return out


@router.get("/items/export", dependencies=[allow(Ability.READ)])
def items_export(session: SessionDep, filters: FiltersDep, format: str = query_text(10, "csv")):
    """Every row of the filtered list (not just a page) as CSV (UTF-8 with a BOM) or XLSX, streamed from the
    database as it is written: formulas neutralised (`tabular`), nothing kept in memory or on disk."""
    if format not in EXPORT_TYPES:
        raise HTTPException(400, _("Định dạng tải về phải là csv hoặc xlsx"))
    budget.lift()  # a whole month streams for as long as it takes; each query keeps the statement timeout
    rows = export_rows(session, filters, text_times=format == "csv")  # a bad filter is a 4xx here, before streaming
    name = f"tin-bai-{filters.month}.{format}" if filters.month else f"tin-bai.{format}"
    body = (iter_csv(EXPORT_HEADER, rows) if format == "csv"
            else iter_xlsx([Sheet("Tin bài", EXPORT_HEADER, rows, EXPORT_WIDTHS)]))
    return StreamingResponse(body, media_type=EXPORT_TYPES[format],
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


MARK_KINDS = ("rule", "model")  # rule: a phrase of the plan's rules; model: a top term of the education model


def highlight(text: str, spans: list[tuple]) -> Markup:
    """Mark evidence spans (start, end, title[, kind]) in a text, escaping everything else.

    Spans may overlap (a rule phrase and a model term on the same words, or the model's "học sinh" and
    "sinh"): the text is cut at every span boundary and each piece is one <mark> whose classes are the kinds
    that cover it (`rule`, `model`) and whose title names every span over it, so both kinds show side by side.
    """
    marks = sorted({(s[0], s[1], s[2], s[3] if len(s) > 3 and s[3] in MARK_KINDS else "rule") for s in spans
                    if 0 <= s[0] < s[1] <= len(text)}, key=lambda m: (MARK_KINDS.index(m[3]), m[0], m[1], m[2]))
    cuts = sorted({0, len(text)} | {p for m in marks for p in m[:2]})
    out: list = []
    piece: tuple | None = None  # (start, end, kinds, titles) of the mark being built
    for a, b in zip(cuts, cuts[1:]):
        over = [m for m in marks if m[0] <= a and b <= m[1]]  # rule spans first, then the model's
        kinds = tuple(dict.fromkeys(m[3] for m in over))
        titles = tuple(dict.fromkeys(m[2] for m in over))
        if piece and (piece[2], piece[3]) == (kinds, titles):
            piece = (piece[0], b, kinds, titles)
            continue
        if piece:
            out.append(_mark(text, piece))
        piece = (a, b, kinds, titles)
    if piece:
        out.append(_mark(text, piece))
    return Markup("").join(out)


def _mark(text: str, piece: tuple) -> Markup:
    start, end, kinds, titles = piece
    if not kinds:
        return escape(text[start:end])
    return Markup('<mark class="{}" title="{}">{}</mark>').format(" ".join(kinds), "; ".join(titles), text[start:end])


FIELD_LABELS = {"title": N_("tiêu đề"), "sapo": N_("sapo"), "body": N_("thân bài")}  # translated where shown


def _where(text: str, e: dict) -> bool:
    """Whether evidence still stands where it says in the text (an item edited since its classification
    may have moved it): only then is it highlighted."""
    start, end = e.get("start"), e.get("end")
    return (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
            and text[start:end] == e.get("text"))


CLUSTER_SHOWN = 50  # near-duplicates listed on an item's page; the total is counted


@dataclass
class SameStory:
    """The other items of an item's near-duplicate cluster (`items.cluster_id`): the same story as carried by
    other outlets (or again by the same one), earliest first, at most CLUSTER_SHOWN of them."""

    siblings: list[Item]
    total: int  # the other items of the cluster, all of them
    outlets: int  # the distinct outlets of the whole cluster, this item's included
    first_id: int | None  # the cluster's first publication (earliest dated item), this item's id included


def same_story(session: Session, item: Item) -> SameStory:
    """Counted and ordered in SQL: the list is bounded, the counts are not."""
    if not item.cluster_id:
        return SameStory([], 0, 0, None)
    same = Item.cluster_id == item.cluster_id
    order = (Item.published_at.asc().nulls_last(), Item.id.asc())
    total, outlets = session.execute(select(func.count(Item.id).filter(Item.id != item.id),
                                            func.count(func.distinct(Item.outlet_id))).where(same)).one()
    first_id = session.scalar(select(Item.id).where(same, Item.published_at.is_not(None)).order_by(*order).limit(1))
    siblings = session.scalars(select(Item).where(same, Item.id != item.id).order_by(*order).limit(CLUSTER_SHOWN)
                               .options(selectinload(Item.outlet))).all()
    return SameStory(list(siblings), total, outlets, first_id)


@router.get("/items/{item_id}", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def item_page(request: Request, item_id: DbId, session: SessionDep):
    item = session.get(Item, item_id, options=[selectinload(Item.themes), selectinload(Item.entities)])
    if item is None:
        raise HTTPException(404, _("Không tìm thấy tin, bài"))
    names = theme_names(session)
    texts = {"title": item.title or "", "sapo": item.sapo or "", "body": item.body or ""}
    spans: dict[str, list] = {"title": [], "sapo": [], "body": []}
    for t in item.themes:
        if t.removed:
            continue
        for e in t.evidence or []:
            if e.get("field") in texts and _where(texts[e["field"]], e):
                title = f"{_('Quy tắc')} — {names.get(t.theme_code, t.theme_code)}"
                spans[e["field"]].append((e["start"], e["end"], title, "rule"))
    view = education_view(item)
    terms = []
    for e in item.education_evidence or []:
        shown = e.get("field") in texts and _where(texts[e["field"]], e)
        if shown:
            title = f"{_('Mô hình giáo dục')} — {e['text']} ({decimal(e.get('weight'))})"
            spans[e["field"]].append((e["start"], e["end"], title, "model"))
        terms.append({**e, "shown": shown, "field_label": FIELD_LABELS.get(e.get("field"), e.get("field")),
                      "weight_text": decimal(e.get("weight"))})
    cluster = same_story(session, item)
    return templates.TemplateResponse(request, "item.html", {
        "item": item, "names": names,
        "title_html": highlight(texts["title"], spans["title"]), "sapo_html": highlight(texts["sapo"], spans["sapo"]),
        "body_html": [highlight(p, []) for p in texts["body"].split("\n\n")] if not spans["body"] else None,
        "body_marked": highlight(texts["body"], spans["body"]) if spans["body"] else None,
        "cluster": cluster, "marked": any(spans.values()), "edu": view, "model_terms": terms,
        "decimal": decimal, "versus": versus, "kind_labels": KIND_LABELS, "field_labels": FIELD_LABELS,
    })


@router.post("/items/{item_id}/labels", dependencies=[allow(Ability.LABELS)])
def item_label(request: Request, item_id: DbId, session: SessionDep, theme: str = form_text(40),
               action: str = form_text(20)):
    """An editor's correction from the item page, in the signed-in user's name; the page is shown again with it applied."""
    try:
        if action == "remove" and not session.scalar(select(ItemTheme.item_id).where(
                ItemTheme.item_id == item_id, ItemTheme.theme_code == theme, ItemTheme.removed.is_(False))):
            raise LabelError(_("tin, bài #%(id)s không có chủ đề %(theme)r; không có gì để bỏ") % {"id": item_id, "theme": theme})
        label_item(session, item_id, [(action, theme)], who(request))
    except LabelError as exc:
        raise HTTPException(400, str(exc))
    session.commit()
    return RedirectResponse(f"/items/{item_id}#themes", status_code=303)
