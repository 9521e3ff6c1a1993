"""The dealer import: a dealer list (a row per dealer with its data card or first
potential-dealer file) and potential-dealer files of dealers already in the panel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models.dealers.dealers import Dealer, PotentialDealerFile
from models.privacy.audit import AccessEvent
from models.privacy.privacy import ConsentRecord
from models.types import blind_match
from services.shared import import_kinds, importer
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("contract", "经销商合作", "2026-01")
HEADERS = ["经销商名称", "区域", "状态", "联系人", "手机", "地址", "签约日期", "区域负责人",
           "资料卡日期", "法定代表人", "营业执照号", "年销售额(万元)", "网点数", "开户行及账号",
           "建档日期", "合作意向", "下一步", "备注"]  # fmt: skip
FILE_HEADERS = ["经销商名称", "区域", "建档日期", "经营规模", "现经营产品及供应商",
                "合作意向", "下一步"]  # fmt: skip


def _row(n: int, **cells) -> list:
    """A signed dealer with its data card; ``cells`` overrides columns by title."""
    values = {
        "经销商名称": f"华南五金{n}号",
        "区域": "南区",
        "状态": "已签约",
        "联系人": f"联系人{n}",
        "手机": f"1390000{n:04d}",
        "地址": f"广州路{n}号",
        "签约日期": "2026/3/2",
        "区域负责人": None,
        "资料卡日期": "2026年3月4日",
        "法定代表人": f"法人{n}",
        "营业执照号": f"91440101MA{n:08d}",
        "年销售额(万元)": "350万",
        "网点数": "12个",
        "开户行及账号": "工商银行 6222000000000000",
        "建档日期": None,
        "合作意向": None,
        "下一步": None,
        "备注": None,
    }
    values.update(cells)
    return [values[h] for h in HEADERS]


def _potential(n: int, **cells) -> list:
    blank_card = {h: None for h in HEADERS[8:14]}
    return _row(
        n,
        **{
            "状态": "潜在",
            "签约日期": None,
            **blank_card,
            "建档日期": "2026-10-08",
            "合作意向": "愿意试销",
            "下一步": "十月底再访",
            **cells,
        },
    )


@pytest.fixture
def s(app):
    with app.app_context():
        assert "dealer" in import_kinds.KINDS
        south = ref_item(db.session, "region", "south")
        south.label = "南区"
        north = ref_item(db.session, "region", "north")
        north.label = "北区"
        db.session.flush()
        yield db.session
        db.session.rollback()


def _region(s, code: str) -> int:
    return ref_item(s, "region", code).id


def _manager(s, code="south", **kwargs):
    user = make_user(s, "region_manager", region_id=_region(s, code), **kwargs)
    s.commit()
    return user


def _check(s, user, path, kind="dealer", headers=HEADERS):
    mapping = importer.guess_mapping(headers, kind)
    return importer.check_file(s, path, mapping, kind=kind, user=user), mapping


def _errors(report) -> dict[int, str]:
    return {r.row_number: " ".join(r.errors) for r in report.rejected}


def test_the_kinds_fit_the_remembered_mapping():
    from models.shared.imports import ImportMapping

    for kind in ("dealer", "potential_dealer"):
        assert len(kind) <= ImportMapping.__table__.c.kind.type.length


def test_titles_are_guessed_in_chinese_and_english():
    mapping = importer.guess_mapping(HEADERS, "dealer")
    assert set(mapping) == {
        "name", "region", "status", "contact_name", "mobile", "address", "contract_signed_on",
        "manager", "card_filled_on", "legal_representative", "licence_no", "annual_sales_wan",
        "outlets", "bank_account", "written_on", "interest", "next_step", "notes",
    }  # fmt: skip
    english = ["Dealer name", "Region", "Status", "Contact person", "Mobile", "Contract date",
               "Business licence number", "Annual sales", "Outlets", "Written on"]  # fmt: skip
    assert list(importer.guess_mapping(english, "dealer")) == [
        "name", "region", "status", "contact_name", "mobile", "contract_signed_on",
        "licence_no", "annual_sales_wan", "outlets", "written_on",
    ]  # fmt: skip
    assert set(importer.guess_mapping(FILE_HEADERS, "potential_dealer")) == {
        "name", "region", "written_on", "business_profile", "current_suppliers", "interest",
        "next_step",
    }  # fmt: skip


def test_dealers_with_cards_and_files_round_trip(s, tmp_path):
    user = _manager(s)
    other = _manager(s, full_name="李经理")
    rows = [_row(1, 区域负责人="李经理"), _potential(2, 区域=None), _row(3, 状态=None)]
    path = write_xlsx(tmp_path / "dealers.xlsx", rows, HEADERS)
    report, mapping = _check(s, user, path)
    assert (report.total, report.valid) == (3, 3), _errors(report)
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=False, kind="dealer", consent=CONSENT
    )
    s.commit()
    assert outcome.inserted == 3
    first = s.scalar(select(Dealer).where(Dealer.name == "华南五金1号"))
    assert (first.status, first.region_id, first.manager_id) == (
        "signed",
        _region(s, "south"),
        other.id,
    )
    assert first.mobile == "13900000001" and first.contract_signed_on == date(2026, 3, 2)
    assert first.created_by_id == user.id and first.version == 1
    card = first.data_card
    assert card.filled_on == date(2026, 3, 4) and card.annual_sales_wan == Decimal("350.0")
    assert card.outlets == 12 and card.legal_representative == "法人1"
    assert card.bank_account.startswith("工商银行")
    second = s.scalar(select(Dealer).where(Dealer.name == "华南五金2号"))
    # a blank region is the manager's own; the importer is the responsible manager
    assert (second.status, second.region_id, second.manager_id) == (
        "potential",
        user.region_id,
        user.id,
    )
    assert second.data_card is None
    assert [(f.written_on, f.interest) for f in second.potential_files] == [
        (date(2026, 10, 8), "愿意试销")
    ]
    third = s.scalar(select(Dealer).where(Dealer.name == "华南五金3号"))
    assert third.status == "signed"  # a contract date says so
    # a blind index: the mobile is found without decrypting
    assert (
        s.scalar(select(Dealer).where(blind_match(Dealer.mobile_bidx, "13900000003", "phone"))).id
        == third.id
    )
    consents = s.scalars(select(ConsentRecord.subject_type)).all()
    assert consents == ["dealer"] * 3
    logged = {
        e.record_type: e.record_ids
        for e in s.scalars(select(AccessEvent).where(AccessEvent.action == "import"))
    }
    assert set(logged) == {"dealer", "dealer_data_card", "potential_dealer_file"}


def test_wrong_rows_of_a_dealer_list(s, tmp_path):
    user = _manager(s)
    s.add(Dealer(name="已有经销商", region_id=_region(s, "south"), mobile="13900009999"))
    s.add(Dealer(name="北区经销商", region_id=_region(s, "north"), mobile="13900008888"))
    s.commit()
    rows = [
        _row(1),
        _row(2, 区域="北区"),  # another region
        _row(3, 区域="火星"),  # not in the list
        _row(4, 手机="13900000001"),  # mobile of row 2
        _row(5, 经销商名称="华南五金1号"),  # name of row 2
        _row(6, 经销商名称="已有经销商"),  # in the panel
        _row(7, 手机="13900009999"),  # mobile in the panel
        _potential(8, 资料卡日期="2026-10-01"),  # a card on a potential dealer
        _row(9, 签约日期="2026-03-10"),  # card before contract
        _row(
            10,
            状态="潜在",
            资料卡日期=None,
            法定代表人=None,
            营业执照号=None,
            **{"年销售额(万元)": None, "网点数": None, "开户行及账号": None},
        ),  # fmt: skip
        _row(11, 签约日期="2027-01-01", 资料卡日期=None),  # in the future
        _row(12, **{"年销售额(万元)": "很多", "网点数": "几个"}),
        _row(13, 区域负责人="王不在"),
        _row(14, 营业执照号="91440101MA00000001"),  # licence of row 2
        _row(15, 手机="13900008888"),  # a mobile of another region is no duplicate here
        _row(16, 状态="暂停"),
        _potential(17, 建档日期=None),
        _row(18, 签约日期="3/4/2026"),  # ambiguous
    ]
    path = write_xlsx(tmp_path / "dealers.xlsx", rows, HEADERS)
    report, mapping = _check(s, user, path)
    errors = _errors(report)
    assert set(errors) == set(range(3, 20)) - {16}, errors
    assert "本区域" in errors[3]
    assert "火星" in errors[4] and "南区" in errors[4]  # the list's labels are named
    assert "第 2 行" in errors[5] or "row 2" in errors[5]
    assert "第 2 行" in errors[6] or "row 2" in errors[6]
    assert "139****9999" in errors[8] and "13900009999" not in errors[8]
    assert "2027-01-01" in errors[12]
    assert "很多" in errors[13] and "几个" in errors[13]
    assert "王不在" in errors[14]
    assert "暂停" in errors[17]
    assert "3/4/2026" in errors[19]
    for message in errors.values():
        assert "法人" not in message and "6222" not in message
    with pytest.raises(importer.RowsRejected):
        importer.import_file(
            s, user, path, mapping, skip_rejected=False, kind="dealer", consent=CONSENT
        )
    s.rollback()
    assert s.scalar(select(func.count(Dealer.id))) == 2  # all or nothing
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind="dealer", consent=CONSENT
    )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (2, 16)


def test_a_missing_dealer_name_is_named_so(s, tmp_path):
    user = _manager(s)
    path = write_xlsx(tmp_path / "dealers.xlsx", [_row(1, 经销商名称=None)], HEADERS)
    report, _mapping = _check(s, user, path)
    assert _errors(report) == {2: "缺少经销商名称。"}
    files = write_xlsx(tmp_path / "files.xlsx", [["潜在", None, None, "x", None, None, None]],
                       FILE_HEADERS)  # fmt: skip
    report, _mapping = _check(s, user, files, "potential_dealer", FILE_HEADERS)
    assert "缺少建档日期。" in _errors(report)[2]


def test_a_manager_without_region_imports_nothing(s, tmp_path):
    user = make_user(s, "region_manager")
    user.region_id = None
    s.commit()
    path = write_xlsx(tmp_path / "dealers.xlsx", [_row(1, 区域=None)], HEADERS)
    report, _mapping = _check(s, user, path)
    assert report.valid == 0


def test_another_role_names_the_region(s, tmp_path):
    user = make_user(s, "supervisor")
    s.commit()
    path = write_xlsx(
        tmp_path / "dealers.xlsx", [_row(1, 区域=None), _row(2, 区域="北区")], HEADERS
    )
    report, _mapping = _check(s, user, path)
    assert report.valid == 1 and list(_errors(report)) == [2]


def test_potential_dealer_files_of_dealers_in_the_panel(s, tmp_path):
    user = _manager(s)
    south, north = _region(s, "south"), _region(s, "north")
    mine = Dealer(name="潜在一号", region_id=south, status="potential")
    mine.potential_files.append(PotentialDealerFile(written_on=date(2026, 9, 1), interest="观望"))
    s.add_all([mine, Dealer(name="北区潜在", region_id=north, status="potential")])
    s.commit()
    rows = [
        ["潜在一号", None, "2026-10-08", "三家门店", "某品牌", "愿意试销", "再访"],
        ["潜在一号", "南区", "2026.11.2", None, None, "要看样品", None],
        ["潜在一号", None, "2026-09-01", None, None, "重复", None],  # kept already
        ["潜在一号", None, "2026-11-02", None, None, "同日", None],  # row 3's day
        ["北区潜在", None, "2026-10-08", None, None, "别区", None],  # not the manager's
        ["无此客户", None, "2026-10-08", None, None, "无", None],
        ["潜在一号", None, "2026-10-09", None, None, None, None],  # says nothing
        ["潜在一号", None, None, None, None, "无日期", None],
    ]
    path = write_xlsx(tmp_path / "files.xlsx", rows, FILE_HEADERS)
    report, mapping = _check(s, user, path, "potential_dealer", FILE_HEADERS)
    errors = _errors(report)
    assert set(errors) == {4, 5, 6, 7, 8, 9}, errors
    assert "北区潜在" not in " ".join(errors.values())
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind="potential_dealer", consent=CONSENT
    )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (2, 6)
    s.refresh(mine)
    assert [f.interest for f in sorted(mine.potential_files, key=lambda f: f.written_on)] == [
        "观望",
        "愿意试销",
        "要看样品",
    ]
    assert s.scalar(select(func.count(ConsentRecord.id))) == 0  # no person is made


def test_names_in_the_panel_match_folded(s, tmp_path):
    """A name typed in another width, case or spacing is the same dealer, in the panel as in
    the file: a duplicate of the list, and the dealer a potential-dealer file goes to."""
    user = _manager(s)
    kept = Dealer(name="ＡＢＣ 商行", region_id=_region(s, "south"), status="potential")
    s.add(kept)
    s.commit()
    path = write_xlsx(tmp_path / "dealers.xlsx", [_row(1, 经销商名称="abc商行")], HEADERS)
    report, _mapping = _check(s, user, path)
    assert _errors(report) == {2: "本区域已有同名经销商。"}
    files = write_xlsx(
        tmp_path / "files.xlsx",
        [["Abc 商行", None, "2026-10-08", None, None, "愿意试销", None]],
        FILE_HEADERS,
    )
    report, mapping = _check(s, user, files, "potential_dealer", FILE_HEADERS)
    assert _errors(report) == {}
    importer.import_file(
        s, user, files, mapping, skip_rejected=False, kind="potential_dealer", consent=CONSENT
    )
    s.commit()
    s.refresh(kept)
    assert [f.interest for f in kept.potential_files] == ["愿意试销"]


def test_a_file_finds_its_dealer_by_a_loosely_matching_name(s, tmp_path):
    """A name that finds nothing as typed is matched without brackets, spaces, widths and the
    company-form suffix, when one dealer only matches so; several are counted, never named."""
    user = _manager(s)
    south, north = _region(s, "south"), _region(s, "north")
    bright = Dealer(name="光明建材（广州）有限公司", region_id=south, status="potential")
    s.add_all([
        bright,
        Dealer(name="光明建材广州公司", region_id=north, status="potential"),  # not the region's
        Dealer(name="新星五金（天河）公司", region_id=south, status="potential"),
        Dealer(name="新星五金 天河 有限公司", region_id=south, status="potential"),
    ])  # fmt: skip
    s.commit()
    rows = [
        ["光明建材(广州)有限责任公司", None, "2026-10-08", None, None, "愿意试销", None],
        ["光明建材 广州", None, "2026-10-09", None, None, "要看样品", None],
        ["新星五金(天河)有限责任公司", None, "2026-10-08", None, None, "观望", None],
        ["光明建材（深圳）有限公司", None, "2026-10-08", None, None, "无", None],
    ]
    path = write_xlsx(tmp_path / "files.xlsx", rows, FILE_HEADERS)
    report, mapping = _check(s, user, path, "potential_dealer", FILE_HEADERS)
    errors = _errors(report)
    assert set(errors) == {4, 5}, errors
    assert "名称相近的有 2 家" in errors[4] and "新星" not in errors[4]
    assert "请先导入" in errors[5]
    importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind="potential_dealer", consent=CONSENT
    )
    s.commit()
    s.refresh(bright)
    assert sorted(f.interest for f in bright.potential_files) == ["愿意试销", "要看样品"]


def test_an_exact_name_wins_over_similar_ones(s, tmp_path):
    user = _manager(s)
    south = _region(s, "south")
    exact = Dealer(name="新星五金公司", region_id=south, status="potential")
    s.add_all([exact, Dealer(name="新星五金有限公司", region_id=south, status="potential")])
    s.commit()
    rows = [["新星五金公司", None, "2026-10-08", None, None, "观望", None]]
    path = write_xlsx(tmp_path / "files.xlsx", rows, FILE_HEADERS)
    report, _mapping = _check(s, user, path, "potential_dealer", FILE_HEADERS)
    assert report.valid == 1, _errors(report)


def test_loose_keys_of_company_names():
    from services.shared.company_names import loose_key

    same = ["华南五金（广州）有限公司", "华南五金(广州)有限责任公司", "华南五金 广州 公司",
            "【华南五金】广州股份有限公司", "华南五金·广州"]  # fmt: skip
    assert {loose_key(n) for n in same} == {"华南五金广州"}
    assert loose_key("ＡＢＣ Co., Ltd.") == "abc"
    assert loose_key("公司") == "公司"  # a suffix alone is kept


def test_a_dealer_list_is_written_by_the_writer_thread_chunk_by_chunk(s, tmp_path, monkeypatch):
    """DealerWriter.pipelines: each chunk's dealers, cards and files are sent by the import's
    writer thread (PostgreSQL, an SQLite file in WAL mode) while the next chunk is checked,
    in the rows' order; a dealer of an earlier chunk and its card stay together."""
    import threading

    user = _manager(s)
    monkeypatch.setattr(importer, "CHUNK", 3)
    threads: list[str] = []
    run_inserts, send_copy = importer._run_inserts, importer.send_copy

    def recorded(original):
        def write(*args):
            threads.append(threading.current_thread().name)
            return original(*args)

        return write

    monkeypatch.setattr(importer, "_run_inserts", recorded(run_inserts))
    monkeypatch.setattr(importer, "send_copy", recorded(send_copy))
    rows = [_row(n) if n % 2 else _potential(n) for n in range(1, 9)]
    path = write_xlsx(tmp_path / "dealers.xlsx", rows, HEADERS)
    outcome = importer.import_file(
        s, user, path, importer.guess_mapping(HEADERS, "dealer"), skip_rejected=False,
        kind="dealer", consent=CONSENT,
    )  # fmt: skip
    s.commit()
    assert outcome.inserted == 8
    conn = s.connection()
    if conn.dialect.name == "postgresql" or importer._numbers_rows(conn):
        assert threads and set(threads) == {"import-writer"}
    assert not [t for t in threading.enumerate() if t.name == "import-writer"]
    dealers = s.scalars(select(Dealer).order_by(Dealer.id)).all()
    assert [d.name for d in dealers] == [f"华南五金{n}号" for n in range(1, 9)]
    for n, dealer in enumerate(dealers, start=1):
        assert dealer.mobile == f"1390000{n:04d}"
        if n % 2:
            assert dealer.data_card.licence_no == f"91440101MA{n:08d}"
        else:
            assert [f.interest for f in dealer.potential_files] == ["愿意试销"]
    consented = s.scalars(
        select(ConsentRecord.subject_id).where(ConsentRecord.subject_type == "dealer")
    )
    assert sorted(consented) == [d.id for d in dealers]
