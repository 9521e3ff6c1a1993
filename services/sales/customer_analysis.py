"""Analysis of the welcome cards (数据分析：对客户资料进行分析，发现潜在需求).

For a period of first visits (both ends office dates, inclusive) and optionally one intended
project, the cards are counted by awareness channel, budget band, need, intended floor area,
intended district, project and grade. Scouts (踩盘) are left out like everywhere else counts
are made; anonymised cards keep their reference-list entries and so still count.

The counting is one statement: the period's cards (``first_visit_on`` is indexed) are read
once, and each breakdown is a SQL ``GROUP BY`` over them, so the work stays in the database
at a million cards; Python only labels the few groups that come back (one more query for the
reference labels). Nothing here names a person: the result is counts only.

Only the cards of the account's offices are counted, and only the projects those offices hold
are offered (issue 18); a group role counts the whole group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, case, cast, func, literal_column, null, or_, select, union_all
from sqlalchemy.orm import Session

from models.admin.offices import office_projects
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.sales.prospects import GRADES, Prospect
from services.admin.offices import office_clause, visible_office_ids

#: The longest period asked at once (a year, leap day included).
MAX_DAYS = 366

#: What a row of cards with nothing entered for the dimension is called.
NOT_FILLED_IN = _l("Not filled in")

#: Budget bands in 10,000 yuan (万元): (code, lower bound inclusive, label). The card stores
#: the budget as a number, not a list item, so the bands are drawn here; a budget on a bound
#: belongs to the band above it (100万 is in 100–150万).
BUDGET_BANDS: tuple[tuple[str, int, object], ...] = (
    ("lt50", 0, _l("Under 500,000 yuan")),
    ("50_100", 50, _l("500,000 to 1 million yuan")),
    ("100_150", 100, _l("1 to 1.5 million yuan")),
    ("150_200", 150, _l("1.5 to 2 million yuan")),
    ("200_300", 200, _l("2 to 3 million yuan")),
    ("gte300", 300, _l("3 million yuan and over")),
)


class InvalidPeriod(ValueError):
    """The period cannot be analysed; ``code`` says why (``order`` or ``too_long``)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_period(start: date, end: date) -> None:
    """Refuse a period that ends before it starts or spans more than MAX_DAYS days."""
    if end < start:
        raise InvalidPeriod("order")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidPeriod("too_long")


def month_so_far(today: date) -> tuple[date, date]:
    """The default period: the current month up to ``today``."""
    return today.replace(day=1), today


@dataclass(frozen=True)
class Row:
    #: The group: a reference item id, a band code, a grade letter; None for "not filled in".
    key: int | str | None
    label: str
    count: int
    #: Percentage of the breakdown's total, one decimal.
    share: Decimal

    @property
    def missing(self) -> bool:
        return self.key is None


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: object
    rows: list[Row]
    total: int


@dataclass(frozen=True)
class Analysis:
    start: date
    end: date
    project_id: int | None
    breakdowns: list[Breakdown]

    @property
    def total(self) -> int:
        return self.breakdowns[0].total if self.breakdowns else 0


@dataclass(frozen=True)
class Dimension:
    key: str
    title: object
    #: The grouped expression on prospects (NULL = not filled in).
    expression: Callable[[], object]
    #: "reference" (labels from reference_items), "budget" or "grade".
    kind: str = "reference"


def _budget_band():
    # NULL first: "NULL < 50" is not true, so without it an empty budget would fall into the
    # top band.
    budget = Prospect.budget_wan
    whens = [(budget.is_(None), null())]
    for (code, _low, _label), upper in zip(
        BUDGET_BANDS, [low for _code, low, _label in BUDGET_BANDS[1:]], strict=False
    ):
        whens.append((budget < upper, code))
    return case(*whens, else_=BUDGET_BANDS[-1][0])


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("awareness", _l("Awareness channel"), lambda: Prospect.awareness_id),
    Dimension("budget", _l("Budget"), _budget_band, "budget"),
    Dimension("need", _l("Need"), lambda: Prospect.need_id),
    Dimension("area", _l("Intended area"), lambda: Prospect.area_band_id),
    Dimension("district", _l("Intended district"), lambda: Prospect.district_id),
    Dimension("project", _l("Intended project"), lambda: Prospect.project_id),
    Dimension("grade", _l("Grade"), lambda: Prospect.grade, "grade"),
)


def _counted(start: date, end: date, project_id: int | None, user: User) -> list:
    """The cards an analysis counts: of the user's offices, first visit in the period, not
    scouts."""
    where = [
        office_clause(Prospect.office_id, user),
        Prospect.is_scout.is_(False),
        Prospect.first_visit_on >= start,
        Prospect.first_visit_on <= end,
    ]
    if project_id is not None:
        where.append(Prospect.project_id == project_id)
    return where


def _cards(where: list):
    """The period's cards reduced to the values grouped on, one labelled column each."""
    return select(*(d.expression().label(d.key) for d in DIMENSIONS)).where(*where)


def _counts_grouping_sets(session: Session, where: list) -> list[tuple[int, object, int]]:
    """PostgreSQL: one pass with GROUPING SETS, one set per dimension. GROUPING() of all
    the columns is a bit mask (first column highest) whose one 0 bit names the dimension a
    row counts. The grouping is on the subquery's columns, so PostgreSQL never compares a
    CASE with bound values between SELECT and GROUP BY."""
    cards = _cards(where).subquery("analysed_cards")
    columns = [cards.c[d.key] for d in DIMENSIONS]
    last = len(columns) - 1
    rows = session.execute(
        select(func.grouping(*columns), *columns, func.count()).group_by(
            func.grouping_sets(*columns)
        )
    )
    result = []
    for mask, *values, n in rows:
        index = next(i for i in range(len(columns)) if not (mask >> (last - i)) & 1)
        result.append((index, values[index], n))
    return result


def _counts_union(session: Session, where: list) -> list[tuple[int, object, int]]:
    """SQLite (no GROUPING SETS): the cards read once into a materialised CTE, then a
    GROUP BY per dimension over it (UNION ALL). Values come back as text (one UNION
    column); reference ids are made numbers again."""
    cards = _cards(where).cte("analysed_cards").prefix_with("MATERIALIZED")
    parts = [
        select(literal_column(str(i)), cast(cards.c[d.key], String), func.count()).group_by(
            cards.c[d.key]
        )
        for i, d in enumerate(DIMENSIONS)
    ]
    result = []
    for index, value, n in session.execute(union_all(*parts)):
        if value is not None and DIMENSIONS[int(index)].kind == "reference":
            value = int(value)
        result.append((int(index), value, n))
    return result


def _counts(session: Session, where: list) -> dict[str, dict]:
    """{dimension key: {group value: cards}} in one statement and one pass over the cards."""
    postgres = session.get_bind().dialect.name == "postgresql"
    rows = (_counts_grouping_sets if postgres else _counts_union)(session, where)
    counts: dict[str, dict] = {d.key: {} for d in DIMENSIONS}
    for index, value, n in rows:
        counts[DIMENSIONS[index].key][value] = n
    return counts


def _share(count: int, total: int) -> Decimal:
    if not total:
        return Decimal("0.0")
    return (Decimal(count * 100) / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _reference_labels(session: Session, counts: dict[str, dict]) -> dict[int, tuple[str, int]]:
    """{item id: (label, sort order)} of every reference item counted, in one query."""
    ids = {
        key for d in DIMENSIONS if d.kind == "reference" for key in counts[d.key] if key is not None
    }
    if not ids:
        return {}
    items = session.scalars(select(ReferenceItem).where(ReferenceItem.id.in_(ids)))
    # str(item) is the label in the user's language (reference_items keep both).
    return {item.id: (str(item), item.sort_order) for item in items}


_BUDGET_LABELS = {code: (label, i) for i, (code, _low, label) in enumerate(BUDGET_BANDS)}
_GRADE_LABELS = {grade: (grade, i) for i, grade in enumerate(GRADES)}


def _breakdown(dimension: Dimension, counts: dict, references: dict) -> Breakdown:
    labels = {"budget": _BUDGET_LABELS, "grade": _GRADE_LABELS}.get(dimension.kind, references)
    total = sum(counts.values())
    rows = []
    for key, n in counts.items():
        label, position = (NOT_FILLED_IN, 0) if key is None else labels.get(key, (key, 0))
        rows.append((position, Row(key, str(label), n, _share(n, total))))
    # Most cards first; among equal counts the list's own order, "not filled in" last.
    rows.sort(key=lambda pair: (-pair[1].count, pair[1].missing, pair[0], pair[1].label))
    return Breakdown(dimension.key, dimension.title, [row for _pos, row in rows], total)


def analyse(
    session: Session, start: date, end: date, project_id: int | None = None, *, user: User
) -> Analysis:
    """Every breakdown of the cards of ``user``'s offices first received from ``start`` to
    ``end`` (inclusive), of one intended project when ``project_id`` is given. Raises
    InvalidPeriod."""
    check_period(start, end)
    counts = _counts(session, _counted(start, end, project_id, user))
    references = _reference_labels(session, counts)
    return Analysis(
        start,
        end,
        project_id,
        [_breakdown(d, counts[d.key], references) for d in DIMENSIONS],
    )


def project_choices(session: Session, user: User) -> list[tuple[int, str]]:
    """The intended projects one can narrow the analysis to: those the user's offices hold
    and those no office holds (every project for a group role), in the list's order (retired projects too: their
    cards still count)."""
    query = (
        select(ReferenceItem)
        .join(ReferenceList)
        .where(ReferenceList.code == "project")
        .order_by(ReferenceItem.sort_order, ReferenceItem.id)
    )
    offices = visible_office_ids(user)
    if offices is not None:
        mine = office_projects.c.office_id.in_(sorted(offices) or [-1])
        held = select(office_projects.c.project_id).where(mine)
        others = select(office_projects.c.project_id).where(~mine)
        # Another office's project is not offered; one no office holds yet is nobody's.
        query = query.where(or_(ReferenceItem.id.in_(held), ReferenceItem.id.not_in(others)))
    return [(item.id, str(item)) for item in session.scalars(query)]
