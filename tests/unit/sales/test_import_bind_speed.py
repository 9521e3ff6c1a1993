"""The import's values as the driver takes them, made column by column (issue 22, sixth pass):
the same values an INSERT binds (each through its column type, an encrypted text sealed as
EncryptedString seals it), the same first error; the blind indexes taken from the duplicates'
look-up are the ones ``blind_indexes_for`` computes; a checker remembering a row's listed
fields together checks as a fresh one."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, Table, create_engine

from core import crypto
from extensions import db
from models.sales.prospects import Prospect, Visit
from models.types import EncryptedString, blind_indexes_for
from services.shared import importer
from tests.factories import ref_item

pytestmark = pytest.mark.instant()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def _one_by_one(dialect, table, rows):
    """The values an INSERT of ``rows`` binds: each through its column type, row by row."""
    keys = list(rows[0])
    processors = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys]
    lines = []
    for row in rows:
        line = [row[k] for k in keys]
        for n, process in enumerate(processors):
            if process is not None and line[n] is not None:
                line[n] = process(line[n])
        lines.append(line)
    return lines


def _opened(table, names, lines):
    """``lines`` with each encrypted column's token opened (tokens differ by their nonce)."""
    opened = []
    for line in lines:
        values = []
        for name, value in zip(names, line, strict=True):
            column_type = table.c[name].type
            if isinstance(column_type, EncryptedString) and value is not None:
                assert value.startswith(crypto.get_keyring().current_id + ":")
                value = ("sealed", crypto.decrypt(value, column_type.binding.encode("ascii")))
            values.append(value)
        opened.append(values)
    return opened


def test_sealing_many_gives_tokens_as_one_at_a_time(ctx):
    keyring = crypto.get_keyring()
    texts = ["13900000001", "", "备注 with ünïcode", "x" * 500, "13900000001"]
    tokens = crypto.encrypt_many(texts, b"prospects.notes")
    assert crypto.encrypt_many([], b"prospects.notes") == []
    assert [crypto.decrypt(t, b"prospects.notes") for t in tokens] == texts
    for text, token in zip(texts, tokens, strict=True):
        one = keyring.encrypt(text, b"prospects.notes")
        key_id, _sep, body = token.partition(":")
        assert key_id == keyring.current_id
        assert len(token) == len(one)  # nonce | ciphertext | tag, base64, as encrypt's
        assert base64.b64decode(body, validate=True)
    # a fresh nonce each, also for the same text
    assert len({base64.b64decode(t.partition(":")[2])[:12] for t in tokens}) == len(tokens)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tokens[0], b"prospects.mobile")


def test_a_chunks_values_are_the_ones_an_insert_binds(ctx):
    dialect = db.engine.dialect
    table = Prospect.__table__
    now = datetime(2026, 3, 1, 9, 30, 0, 123)
    rows = [
        {
            "name": f"客户{n}",
            "mobile": f"139{n:08d}" if n % 3 else None,
            "notes": "备注" if n % 2 else None,
            "first_visit_on": date(2026, 3, 1 + n % 3) if n % 4 else None,
            "last_contact_on": date(2026, 3, 1),
            "is_scout": [True, False, None][n % 3],
            "created_at": now if n % 5 else now + timedelta(seconds=n),
            "grade": "B",
        }
        for n in range(40)
    ]
    rows = importer.stamped(table, rows)  # as the import: the time columns given
    assert importer.plain_defaults(table, rows[0])
    names, lines = importer.bound_rows(dialect, table, rows, ids=list(range(100, 140)))
    assert names[0] == "id" and [line[0] for line in lines] == list(range(100, 140))
    # the columns the rows leave out take their plain defaults, processed alike
    defaults = {name: table.c[name].default.arg for name in names[1 + len(rows[0]) :]}
    assert "grade" not in defaults and defaults
    full = [{**row, **defaults} for row in rows]
    expected = _one_by_one(dialect, table, full)
    assert _opened(table, names[1:], [line[1:] for line in lines]) == _opened(
        table, list(full[0]), expected
    )


def test_aware_times_and_mixed_types_are_not_taken_for_each_other():
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", DateTime(timezone=True)),
        Column("day", Date),
        Column("yes", Boolean),
    )
    engine = create_engine("sqlite://")
    utc = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    beijing = utc.astimezone(timezone(timedelta(hours=8)))
    assert utc == beijing  # one instant: equal, and one dict key
    rows = [
        {"at": utc, "day": date(2026, 3, 1), "yes": True},
        {"at": beijing, "day": datetime(2026, 3, 1, 8, 0), "yes": 1 == 1},
        {"at": utc.replace(tzinfo=None), "day": date(2026, 3, 1), "yes": False},
    ]
    _names, lines = importer.bound_rows(engine.dialect, table, rows)
    assert lines == _one_by_one(engine.dialect, table, rows)
    assert lines[0][0] != lines[1][0]


@pytest.mark.parametrize(
    "bad",
    [
        {"row": 3, "notes": 12345},  # not text
        {"row": 2, "mobile": "1" * 21},  # over the column's 20 characters
        {"row": 1, "first_visit_on": "2026-03-01"},  # a date column given text
    ],
)
def test_a_value_the_type_refuses_raises_what_an_insert_raises(ctx, bad):
    dialect = db.engine.dialect
    table = Prospect.__table__
    rows = [
        {"name": "王伟", "mobile": "13900000001", "notes": "a", "first_visit_on": date(2026, 3, 1)}
        for _n in range(5)
    ]
    bad = dict(bad)
    rows[bad.pop("row")].update(bad)
    # and a later row wrong in another column: the first row's error comes first, as an
    # INSERT binding row after row raises it
    rows[4]["mobile"] = "9" * 30
    rows = importer.stamped(table, rows)
    with pytest.raises(Exception) as one_by_one:
        _one_by_one(dialect, table, rows)
    with pytest.raises(Exception) as at_once:
        importer.bound_rows(dialect, table, rows)
    assert type(at_once.value) is type(one_by_one.value)
    assert str(at_once.value) == str(one_by_one.value)


def test_copy_text_is_made_of_the_same_values(ctx):
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    table = Visit.__table__
    rows = [
        {"prospect_id": 1, "seq": n, "visited_on": date(2026, 3, 1), "summary": f"第{n}次"}
        for n in range(1, 6)
    ]
    statement, text = importer.copy_payload(dialect, table, rows)
    assert statement.startswith("COPY prospect_visits (prospect_id, seq, visited_on, summary")
    lines = [line.split("\t") for line in text.splitlines()]
    assert [line[:3] for line in lines] == [["1", str(n), "2026-03-01"] for n in range(1, 6)]
    aad = b"prospect_visits.summary"
    assert [crypto.decrypt(line[3], aad) for line in lines] == [f"第{n}次" for n in range(1, 6)]


def test_the_rows_blind_indexes_are_blind_indexes_for(ctx):
    blind: dict = {}
    found = importer.existing_values(
        db.session,
        importer.KINDS["prospect"],
        "mobile",
        {"13900000001", "+86 139-0000-0002", "   "},
        None,
        blind,
    )
    assert found == set()
    assert set(blind) == {("phone", "13900000001"), ("phone", "+86 139-0000-0002")}
    indexes_of = importer._RowIndexes(Prospect, blind)
    assert indexes_of.plan == [("mobile", "mobile_bidx", "phone")]
    for mobile in ["13900000001", "+86 139-0000-0002", "13900000003", "   ", "", None]:
        record = {"name": "王伟", "mobile": mobile, "notes": None}
        assert indexes_of(record) == blind_indexes_for(Prospect, record)
    assert indexes_of({"name": "王伟"}) == blind_indexes_for(Prospect, {"name": "王伟"}) == {}


MAPPING = {"name": 0, "mobile": 1, "grade": 2, "source": 3, "budget_wan": 4, "is_scout": 5,
           "first_visit_on": 6, "progress": 7}  # fmt: skip


@pytest.mark.parametrize("locale", ["en", "zh_Hans_CN"])
def test_a_rows_listed_fields_remembered_together_check_as_fresh(ctx, app, locale):
    ref_item(db.session, "source_channel", "walk_in")
    same = ["B", "来访", "150万", "否", "2026-03-01", "跟进"]
    rows = []
    for n in range(6):
        rows.append((f"客户{n}", f"139{n:08d}", *same))
    rows += [
        ("客户7", "13900000007", "E", *same[1:]),  # a wrong grade: not remembered as good
        ("客户8", "13900000008", "E", *same[1:]),
        ("客户9", "bad", *same),  # a wrong mobile beside the remembered ones
        ("", "13900000010", *same),
        ("客户11", "13900000011", None, *same[1:]),  # a blank grade (may be blank)
        ("客户12", "13900000012", None, *same[1:]),
        ("客户13", "13900000013", "B", "来访", "150万", True, "2026-03-01", "跟进"),
        ("客户14", "13900000014", "B", "来访", "150万", 1, "2026-03-01", "跟进"),
        ("客户15", "13900000015", "B", "来访", "150万", 1.0, "2026-03-01", "跟进"),
        ("客户16", "13900000016", "B", "来访", "150万", True, "2026-03-01", "跟进"),
        ("客户17", "13900000017", " B ", "来访", 150, "是", "2026-03-02", None),
        ("客户18", "13900000018", " B ", "来访", 150, "是", "2026-03-02", None),
        ("客户19", "13900000019", "B", "nope", "150万", "否", "2026-03-01", "跟进"),
        ("客户20", "13900000020", "B", "nope", "150万", "否", "2026-03-01", "跟进"),
    ]
    with app.test_request_context(), force_locale(locale):
        warm = importer.RowChecker(db.session, MAPPING, "prospect")
        for number, values in enumerate(rows + rows, start=2):
            fresh = importer.RowChecker(db.session, MAPPING, "prospect")
            warm.seen.clear()
            warm.cards.clear()
            warm.wrong.clear()
            got = warm.check(number, values)
            want = fresh.check(number, values)
            assert (got.record, got.errors) == (want.record, want.errors), values
        together = warm._together[1]
        # each distinct good combination once; none with a wrong listed field
        assert 1 <= len(together) <= 6
        assert all(stored.get("grade") != "E" for stored in together.values())
    db.session.rollback()


def test_remembering_together_stays_bounded(ctx, app, monkeypatch):
    monkeypatch.setattr(importer, "MEMO_MAX", 3)
    checker = importer.RowChecker(db.session, MAPPING, "prospect")
    with app.test_request_context():
        for n in range(20):
            checker.check(n + 2, (f"客户{n}", f"139{n:08d}", "B", None, f"{n}万", "否"))
    assert len(checker._together[1]) == 3
