"""Demo dealers of the four regions: signed ones with their contract and (mostly on time)
their customer data card, potential ones with visits, potential-dealer files and, for the
important ones, a place in the potential-dealer directory.

Two gaps are left on purpose so the dealer pages have something to flag: one signed dealer
without a data card past its due date, and one visited potential dealer without a file yet.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session
from stdnum.cn import uscc

from core.clock import office_today
from demo.common import random_mobile, random_name
from models.admin.people import User
from models.dealers.dealers import Dealer, DealerDataCard, DealerVisit, PotentialDealerFile
from services.shared.workdays import WorkdayCalendar

#: region code: cities as (name, phone area code, registration area of licence numbers)
REGION_CITIES = {
    "south": (("深圳", "0755", "440300"), ("广州", "020", "440100"), ("东莞", "0769", "441900")),
    "east": (("上海", "021", "310000"), ("杭州", "0571", "330100"), ("苏州", "0512", "320500")),
    "north": (("北京", "010", "110000"), ("天津", "022", "120000"), ("济南", "0531", "370100")),
    "southwest": (("成都", "028", "510100"), ("重庆", "023", "500000"), ("昆明", "0871", "530100")),
}
DEALERS_PER_REGION = 9
TRADE_NAMES = [
    "鹏达",
    "恒通",
    "宏远",
    "金盛",
    "华信",
    "永利",
    "联创",
    "佳美",
    "盛世",
    "安居",
    "鑫源",
    "美家",
    "德润",
    "广汇",
    "天成",
    "润丰",
]
TRADES = ("建材贸易", "家居", "装饰工程", "五金机电", "卫浴洁具", "门窗幕墙")
ROADS = ("人民路", "建设路", "解放大道", "中山路", "工业大道", "滨河路", "科技园路", "长江路")
SCOPES = (
    "建筑材料、装饰材料、五金交电的批发与零售。",
    "家具、灯具、卫浴洁具销售；室内装饰设计。",
    "门窗、幕墙材料的销售与安装。",
)
BANKS = ("中国工商银行", "中国建设银行", "招商银行", "中国银行", "交通银行")
VISIT_SUMMARIES = (
    "介绍今年的渠道政策，客户对返点比例有兴趣。",
    "参观门店，了解现有品牌和月销量。",
    "客户担心回款周期，约定下次带合同样本。",
    "与老板及采购经理面谈，对样板间合作有意向。",
    "回访：上批货已到，反馈包装破损两件，已登记。",
)
INTERESTS = (
    "对独家代理有兴趣，担心首批进货量。",
    "愿意先做样板展示，观望市场反应。",
    "价格敏感，希望有更高的年度返利。",
)
NEXT_STEPS = ("两周内寄送合同样本。", "邀请参加下月订货会。", "区域负责人下次拜访时带报价。")


def seed(session: Session, rng: random.Random, *, users: dict[str, User], regions) -> None:
    """About nine dealers per region; the region manager (when there is one) owns them."""
    today = office_today()
    calendar = WorkdayCalendar.from_session(session)
    gaps = {"card": False, "file": False}
    names: set[str] = set()
    for code, region in regions.items():
        manager = next(
            (
                u
                for u in users.values()
                if u.has_role("region_manager") and u.region_id == region.id
            ),
            None,
        )
        for n in range(DEALERS_PER_REGION):
            city, area_code, licence_area = rng.choice(REGION_CITIES[code])
            name = f"{city}市{rng.choice(TRADE_NAMES)}{rng.choice(TRADES)}有限公司"
            while name in names:
                name = f"{city}市{rng.choice(TRADE_NAMES)}{rng.choice(TRADES)}有限公司"
            names.add(name)
            dealer = Dealer(
                name=name,
                region=region,
                status="potential",
                contact_name=random_name(rng),
                mobile=random_mobile(rng),
                landline=f"{area_code}-{rng.randint(2, 8)}{rng.randrange(10**7):07d}",
                address=f"{city}市{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                manager=manager,
            )
            session.add(dealer)
            if n < 5:
                _sign(rng, dealer, today, calendar, licence_area, gaps)
            else:
                dealer.in_directory = n < 8  # the important ones
                dealer.notes = "重点潜在客户。" if dealer.in_directory else None
            _visits(rng, dealer, today, manager, gaps)
    session.flush()


def licence_number(rng: random.Random, area: str) -> str:
    """A unified social credit code (统一社会信用代码) of a company registered in ``area``,
    with its check character."""
    serial = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    body = f"91{area}{serial}"
    return body + uscc.calc_check_digit(body)


def _sign(rng, dealer: Dealer, today: date, calendar, licence_area: str, gaps) -> None:
    dealer.status = "signed"
    dealer.contract_signed_on = today - timedelta(days=rng.randrange(5, 700))
    if not gaps["card"] and dealer.contract_signed_on < today - timedelta(days=10):
        gaps["card"] = True  # the card is overdue
        return
    # The card is due two working days after signing; most are filled on time.
    delay = rng.choice((3, 4)) if rng.random() < 0.15 else rng.choice((0, 1, 2))
    filled = calendar.add_workdays(dealer.contract_signed_on, delay).day
    dealer.data_card = DealerDataCard(
        filled_on=min(filled, today),
        legal_representative=random_name(rng),
        licence_no=licence_number(rng, licence_area),
        business_scope=rng.choice(SCOPES),
        annual_sales_wan=Decimal(rng.randrange(200, 20000, 50)),
        outlets=rng.randint(1, 12),
        bank_account=f"{rng.choice(BANKS)} {rng.randrange(10**15, 10**16)}",
    )


def _visits(rng, dealer: Dealer, today: date, manager: User | None, gaps) -> None:
    """Visits by the region's manager; a potential dealer's file is written on the day of
    the first visit."""
    count = rng.choice((1, 2, 3)) if dealer.status == "potential" else rng.choice((0, 1, 2))
    start = dealer.contract_signed_on or today - timedelta(days=rng.randrange(30, 300))
    span = max(1, (today - start).days)
    days = sorted(start + timedelta(days=rng.randrange(span)) for _ in range(count))
    for day in days:
        dealer.visits.append(
            DealerVisit(visited_on=day, visitor=manager, summary=rng.choice(VISIT_SUMMARIES))
        )
    if dealer.status != "potential" or not days:
        return
    if not gaps["file"] and days[0] > today - timedelta(days=5):
        gaps["file"] = True  # visited this week, the file is not written yet
        return
    dealer.potential_files.append(
        PotentialDealerFile(
            written_on=days[0],
            business_profile=f"门店{rng.randint(1, 6)}家，员工约{rng.randrange(10, 120, 5)}人。",
            current_suppliers="现代理两个本地品牌，主要从佛山进货。",
            interest=rng.choice(INTERESTS),
            next_step=rng.choice(NEXT_STEPS),
        )
    )
