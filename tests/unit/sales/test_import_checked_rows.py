"""The import takes the rows its check found good (sealed, services/shared/checked_rows.py)
instead of reading and checking the file again, when nothing the checks read has changed."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models.admin.reference import ReferenceItem, ReferenceList
from models.sales.prospects import Prospect, Visit
from services.shared import checked_rows, importer
from tests.factories import make_prospect, make_user, ref_item
from tests.importing import HEADERS, good_row, write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("consent", "购房咨询", "2026-01")
TOKEN = "ab" * 16


@pytest.fixture
def s(app):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")  # label 来访 in the standard list
        yield db.session
        db.session.rollback()


@pytest.fixture
def kept(tmp_path):
    return importer.CheckedRows(tmp_path / f"{TOKEN}-checked.sealed", TOKEN)


def _mapping():
    return importer.guess_mapping(HEADERS)


def _import(s, user, path, kept, **extra):
    return importer.import_file(
        s, user, path, _mapping(), skip_rejected=False, consent=CONSENT, checked=kept, **extra
    )


# --- the sealed file --------------------------------------------------------------------------
PAIRS = [
    [(2, {"name": "王伟", "mobile": "13900000001", "first_visit_on": date(2026, 3, 1)})],
    [(3, None), (4, {"name": "李娜", "budget": Decimal("150.0"), "visits": [date(2026, 3, 2)]})],
]


def _write(path, token=TOKEN, print_=b"p" * 32, pairs=PAIRS, close=True):
    writer = checked_rows.Writer(path, token, print_)
    for chunk in pairs:
        writer.write(chunk)
    if close:
        writer.close()
    else:
        writer._out.close()
    return path


def test_chunks_come_back_as_written_and_never_in_plain_form(app, tmp_path):
    with app.app_context():
        path = _write(tmp_path / "c.sealed")
        assert list(checked_rows.open_chunks(path, TOKEN, b"p" * 32)) == PAIRS
        raw = path.read_bytes()
        assert "王伟".encode() not in raw and b"13900000001" not in raw
        assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "damage",
    ["other token", "other print", "no end mark", "end frame altered", "frames swapped", "cut"],
)
def test_a_file_for_another_check_or_damaged_is_not_used(app, tmp_path, damage):
    with app.app_context():
        path = _write(tmp_path / "c.sealed", close=damage != "no end mark")
        token, print_ = TOKEN, b"p" * 32
        raw = bytearray(path.read_bytes())
        if damage == "other token":
            token = "cd" * 16
        elif damage == "other print":
            print_ = b"q" * 32
        elif damage == "end frame altered":
            raw[-1] ^= 1
        elif damage == "cut":
            raw = raw[:-5]
        elif damage == "frames swapped":
            head = len(checked_rows.MAGIC) + 2 + int.from_bytes(raw[8:10], "big") + 32
            frames, at = [], head
            while at < len(raw):
                length = int.from_bytes(raw[at : at + 4], "big")
                frames.append(bytes(raw[at : at + 4 + length]))
                at += 4 + length
            frames[0], frames[1] = frames[1], frames[0]
            raw = raw[:head] + b"".join(frames)
        path.write_bytes(bytes(raw))
        with pytest.raises(checked_rows.CheckedRowsUnusable):
            for _chunk in checked_rows.open_chunks(path, token, print_):
                pass


def test_a_middle_frame_altered_stops_the_reading(app, tmp_path):
    with app.app_context():
        path = _write(tmp_path / "c.sealed")
        raw = bytearray(path.read_bytes())
        head = len(checked_rows.MAGIC) + 2 + int.from_bytes(raw[8:10], "big") + 32
        raw[head + 4 + 12 + 3] ^= 1  # a byte of the first chunk's ciphertext
        path.write_bytes(bytes(raw))
        chunks = checked_rows.open_chunks(path, TOKEN, b"p" * 32)  # the end mark opens
        with pytest.raises(checked_rows.CheckedRowsUnusable):
            next(chunks)


# --- the import takes them --------------------------------------------------------------------
def test_the_import_takes_the_checked_rows_without_reading_the_file(s, tmp_path, kept):
    user = make_user(s, "clerk")
    s.commit()
    path = write_xlsx(tmp_path / "a.xlsx", [good_row(n) for n in range(1, 1501)])
    report = importer.check_file(s, path, _mapping(), user=user, checked=kept)
    assert report.valid == 1500 and kept.path.exists()
    # the upload is not read again: an empty stream in its place imports the same rows
    outcome = _import(s, user, io.BytesIO(b""), kept)
    s.commit()
    assert outcome.inserted == 1500
    names = set(s.scalars(select(Prospect.name)))
    assert {"客户1", "客户750", "客户1500"} <= names
    card = s.scalar(select(Prospect).where(Prospect.name == "客户7"))
    assert card.mobile == "13900000007" and card.first_visit_on == date(2026, 3, 1)
    assert card.notes == "第7行"
    assert s.scalar(select(func.count(Visit.id))) == 1500


def test_the_rows_a_check_rejected_stay_rejected(s, tmp_path, kept):
    user = make_user(s, "clerk")
    s.commit()
    rows = [good_row(1), ["甲", "1390000", "B", "来访", "2026-03-01", ""], good_row(3)]
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    assert importer.check_file(s, path, _mapping(), user=user, checked=kept).rejected_count == 1
    with pytest.raises(importer.RowsRejected, match="3"):
        _import(s, user, io.BytesIO(b""), kept)
    s.rollback()
    outcome = importer.import_file(
        s,
        user,
        io.BytesIO(b""),
        _mapping(),
        skip_rejected=True,
        consent=CONSENT,
        checked=kept,
    )
    assert (outcome.inserted, outcome.skipped) == (2, 1)


def test_a_customer_added_since_the_check_is_a_duplicate_at_the_import(s, tmp_path, kept):
    user = make_user(s, "clerk")
    s.commit()
    path = write_xlsx(tmp_path / "a.xlsx", [good_row(1), good_row(2)])
    assert importer.check_file(s, path, _mapping(), user=user, checked=kept).valid == 2
    make_prospect(s, name="已有", mobile="13900000002")
    s.commit()
    with pytest.raises(importer.RowsRejected, match="3"):
        _import(s, user, io.BytesIO(b""), kept)


def test_a_list_changed_since_the_check_makes_the_import_check_again(s, tmp_path, kept):
    user = make_user(s, "clerk")
    s.commit()
    path = write_xlsx(tmp_path / "a.xlsx", [good_row(1)])
    assert importer.check_file(s, path, _mapping(), user=user, checked=kept).valid == 1
    # the source 来访 is renamed after the check: the row no longer names a known source (the
    # contact channels have a 来访 too: which one a bare label query returned was up to the
    # database, and renaming that one failed this test on PostgreSQL now and then)
    item = s.scalar(
        select(ReferenceItem)
        .join(ReferenceList)
        .where(ReferenceList.code == "source_channel", ReferenceItem.label == "来访")
    )
    item.label, item.label_en, item.code = "到访", "Visit", "visit"
    s.commit()
    with pytest.raises(importer.RowsRejected):
        _import(s, user, path, kept)  # read and checked again: rejected
    s.rollback()
    with pytest.raises(importer.ImportFileError):
        _import(s, user, io.BytesIO(b""), kept)  # it did not take the kept rows


def test_another_mapping_or_account_does_not_take_the_kept_rows(s, tmp_path, kept):
    clerk, other = make_user(s, "clerk"), make_user(s, "clerk")
    s.commit()
    path = write_xlsx(tmp_path / "a.xlsx", [good_row(1)])
    importer.check_file(s, path, _mapping(), user=clerk, checked=kept)
    with pytest.raises(importer.ImportFileError):
        _import(s, other, io.BytesIO(b""), kept)
    s.rollback()
    without_notes = {k: v for k, v in _mapping().items() if k != "notes"}
    with pytest.raises(importer.ImportFileError):
        importer.import_file(
            s,
            clerk,
            io.BytesIO(b""),
            without_notes,
            skip_rejected=False,
            consent=CONSENT,
            checked=kept,
        )


# --- the writes ---------------------------------------------------------------------------------
def test_a_write_that_fails_stops_the_import_and_leaves_no_writer_behind(s, tmp_path, monkeypatch):
    """On PostgreSQL a writer thread sends the chunks while the next is read: its failure
    still reaches the import, which writes nothing (the caller rolls back)."""
    import threading

    from services.privacy import audit

    user = make_user(s, "clerk")
    s.commit()
    monkeypatch.setattr(importer, "CHUNK", 100)
    path = write_xlsx(tmp_path / "a.xlsx", [good_row(n) for n in range(1, 501)])
    calls = []
    original = audit.record

    def failing(*args, **kwargs):
        calls.append(threading.current_thread().name)
        if len(calls) == 2:
            raise RuntimeError("the log is full")
        return original(*args, **kwargs)

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError, match="the log is full"):
        importer.import_file(s, user, path, _mapping(), skip_rejected=False, consent=CONSENT)
    s.rollback()
    assert s.scalar(select(func.count(Prospect.id))) == 0
    assert len(calls) == 2  # nothing more was sent after the failure
    # the writer thread wrote them (PostgreSQL, and the suite's SQLite file in WAL mode)
    assert set(calls) == {"import-writer"}
    assert not [t for t in threading.enumerate() if t.name == "import-writer"]


def test_a_rejected_row_after_written_chunks_leaves_no_writer_behind(s, tmp_path, monkeypatch):
    import threading

    user = make_user(s, "clerk")
    s.commit()
    monkeypatch.setattr(importer, "CHUNK", 100)
    rows = [good_row(n) for n in range(1, 501)]
    rows[450][1] = "12345"
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    with pytest.raises(importer.RowsRejected):
        importer.import_file(s, user, path, _mapping(), skip_rejected=False, consent=CONSENT)
    s.rollback()
    assert s.scalar(select(func.count(Prospect.id))) == 0
    assert not [t for t in threading.enumerate() if t.name == "import-writer"]


def test_on_postgresql_every_copy_goes_through_the_writer_thread(s, tmp_path, monkeypatch):
    """The cards, their tokens, consents and receptions are all sent by the writer while the
    job's thread prepares the next chunk: the job's thread never inserts itself."""
    import threading

    user = make_user(s, "clerk")
    s.commit()
    monkeypatch.setattr(importer, "CHUNK", 100)
    path = write_xlsx(tmp_path / "a.xlsx", [good_row(n) for n in range(1, 301)])
    senders: list[str] = []
    send = importer.send_copy

    def recorded(*args):
        senders.append(threading.current_thread().name)
        return send(*args)

    monkeypatch.setattr(importer, "send_copy", recorded)
    if s.get_bind().dialect.name == "postgresql":
        monkeypatch.setattr(importer, "insert_ids", lambda *a: pytest.fail("inserted in the job"))
    outcome = importer.import_file(s, user, path, _mapping(), skip_rejected=False, consent=CONSENT)
    s.commit()
    assert outcome.inserted == 300 and s.scalar(select(func.count(Prospect.id))) == 300
    if s.get_bind().dialect.name == "postgresql":
        # per chunk: cards, tokens, consents, receptions
        assert senders == ["import-writer"] * 12
    else:
        assert senders == []


def test_a_later_visit_of_a_card_of_an_earlier_chunk_is_its_reception(s, tmp_path, monkeypatch):
    """Not a duplicate of its own card, which the import's transaction already holds."""
    user = make_user(s, "clerk")
    s.commit()
    monkeypatch.setattr(importer, "CHUNK", 2)
    later = ["客户1", "13900000001", "B", "来访", "2026-03-20", "复访"]
    path = write_xlsx(tmp_path / "a.xlsx", [good_row(1), good_row(2), later, good_row(3)])
    for kept in (None, importer.CheckedRows(tmp_path / f"{TOKEN}-checked.sealed", TOKEN)):
        report = importer.check_file(s, path, _mapping(), user=user, checked=kept)
        assert (report.valid, report.rejected_count) == (4, 0)
        outcome = _import(s, user, path, kept)
        assert (outcome.inserted, outcome.skipped, outcome.visits) == (3, 0, 4)
        card = s.scalar(select(Prospect).where(Prospect.name == "客户1"))
        assert card.last_contact_on == date(2026, 3, 20)
        s.rollback()


def test_a_later_visit_goes_with_its_card_when_the_card_is_a_duplicate(s, tmp_path):
    user = make_user(s, "clerk")
    make_prospect(s, name="客户1", mobile="13900000001")
    s.commit()
    later = ["客户1", "13900000001", "B", "来访", "2026-03-20", "复访"]
    path = write_xlsx(tmp_path / "a.xlsx", [good_row(1), later, good_row(2)])
    report = importer.check_file(s, path, _mapping(), user=user)
    by_row = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(by_row) == {2, 3} and report.valid == 1
    assert "2" in by_row[3]  # its card's row


def test_a_card_refused_on_record_at_the_check_is_looked_up_again_with_its_visits(
    s, tmp_path, kept, monkeypatch
):
    """The card was a duplicate at the check, which refused its later visit (in another
    chunk) with it; the other card gone, the import takes both, as a new check would."""
    monkeypatch.setattr(importer, "CHUNK", 2)
    user = make_user(s, "clerk")
    other = make_prospect(s, name="客户1", mobile="13900000001", office_id=user.offices[0].id)
    s.commit()
    later = ["客户1", "13900000001", "B", "来访", "2026-03-20", "复访"]
    path = write_xlsx(tmp_path / "a.xlsx", [good_row(1), good_row(2), later, good_row(3)])
    report = importer.check_file(s, path, _mapping(), user=user, checked=kept)
    assert [r.row_number for r in report.rejected] == [2, 4]
    s.delete(other)
    s.commit()
    outcome = _import(s, user, io.BytesIO(b""), kept)
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (3, 0)
    card = s.scalar(select(Prospect).where(Prospect.name == "客户1"))
    assert card.last_contact_on == date(2026, 3, 20)
    assert s.scalar(select(func.count(Visit.id)).where(Visit.prospect_id == card.id)) == 2
