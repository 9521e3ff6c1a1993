"""Demo complaints (投诉处理): four of owners and buyers, one in each state an office sees:
waiting and not yet due, waiting and overdue, answered, and closed with its improvement.
Fixed texts and no random draws, so the other areas' generators are untouched. Each is handled
by the clerk and supervisor of the customer's office."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import null, select
from sqlalchemy.orm import Session

from core.clock import office_today
from demo.offices import Offices
from models.admin.people import User
from models.base import utcnow
from models.care.complaints import Complaint
from models.property.property import Owner
from models.sales.prospects import Prospect
from services.care.complaints import due_date

# (kind, days ago received, channel, category, what was said, state)
COMPLAINTS = (
    ("owner", 1, "phone", "property", "楼道灯坏了一周没人修。", "open"),
    ("owner", 20, "in_person", "service", "缴费窗口排队太久，工作人员态度冷淡。", "open"),
    ("prospect", 12, "online", "sales", "置业顾问承诺的优惠没有兑现。", "answered"),
    ("owner", 40, "letter", "property", "地下车库积水，车辆进出困难。", "closed"),
)


def seed(session: Session, *, offices: Offices) -> None:
    today = office_today()
    owners = list(
        session.execute(select(Owner.id, Owner.office_id, null()).order_by(Owner.id).limit(3))
    )
    prospect = session.execute(
        select(Prospect.id, Prospect.office_id, Prospect.consultant_id).order_by(Prospect.id)
    ).first()
    for n, (kind, days_ago, channel, category, said, state) in enumerate(COMPLAINTS):
        subject = prospect if kind == "prospect" else (owners[n % len(owners)] if owners else None)
        if subject is None:
            continue
        subject_id, office_id, consultant_id = subject
        # A buyer's complaint goes to the consultant who owns the card.
        clerk = session.get(User, consultant_id) if consultant_id else None
        clerk = clerk or _first(offices.people(office_id, "clerk"))
        supervisor = _first(offices.people(office_id, "supervisor"))
        if clerk is None or supervisor is None:
            continue
        received = today - timedelta(days=days_ago)
        complaint = Complaint(
            subject_type=kind,
            subject_id=subject_id,
            received_on=received,
            channel=channel,
            category=category,
            summary=said,
            handler_id=clerk.id if n % 2 else supervisor.id,
            due_on=due_date(session, received),
            status=state,
            registered_by_id=clerk.id,
        )
        if state in ("answered", "closed"):
            complaint.answer = "已致电客户说明情况并道歉，承诺限期处理。"
            complaint.answered_by_id = supervisor.id
            complaint.answered_at = utcnow()
        if state == "closed":
            complaint.improvement = "车库排水沟每月清理一次，雨季前检查水泵。"
            complaint.closed_by_id = supervisor.id
            complaint.closed_at = utcnow()
        session.add(complaint)
    session.flush()


def _first(people: list[User]) -> User | None:
    return people[0] if people else None
