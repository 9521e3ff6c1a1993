"""Rows every database starts with: the six roles and the standard reference lists.

Migrations load a frozen copy of these; tests that build the schema with create_all call
install_standard_data() instead.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.admin.people import Role
from models.admin.reference import ReferenceItem, ReferenceList
from models.privacy.audit import AccessChainHead
from services.admin.offices import ensure_default_office
from services.admin.reference_catalog import STANDARD_LISTS

ROLE_NAMES = {
    "clerk": "物业文员 / 置业顾问",
    "supervisor": "现场主管",
    "region_manager": "区域负责人",
    "custodian": "档案管理员",
    "admin": "系统管理员",
    "auditor": "外部审计员",
}


def install_standard_data(session: Session) -> None:
    """Insert the roles, standard lists and access-log chain head that are missing; leaves
    existing rows alone."""
    existing_roles = set(session.scalars(select(Role.code)))
    for code, name in ROLE_NAMES.items():
        if code not in existing_roles:
            session.add(Role(code=code, name=name))
    existing_lists = set(session.scalars(select(ReferenceList.code)))
    for code, name, name_en, items in STANDARD_LISTS:
        if code in existing_lists:
            continue
        ref_list = ReferenceList(code=code, name=name, name_en=name_en)
        session.add(ref_list)
        for position, (item_code, label, label_en) in enumerate(items, start=1):
            ref_list.items.append(
                ReferenceItem(
                    code=item_code, label=label, label_en=label_en, sort_order=position * 10
                )
            )
    session.flush()
    ensure_default_office(session)
    if session.get(AccessChainHead, 1) is None:
        session.add(AccessChainHead(id=1, seq=0, last_hash=""))
    session.flush()
