"""The books after a load run (bench/load/run.py): what the users were told against what the
database holds, the access-log chain, and the access events against the requests."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import func, select

#: Ledger actions that show or change customer data, so each acknowledged one must have left
#: at least one access event with its request id and its user. Approvals are counted apart:
#: each leaves an "approve" event and a history row; the books check the history rows.
#: Reads: every answered one. Writes: the ones the user was told were done (the ledger's
#: marks); a form that came back, or a desk step refused with a flash (a file already out),
#: changed nothing and logs nothing.
READS = {"prospect list", "prospect search", "prospect details", "prospect edit form"}
WRITE_MARKS = {
    "prospect create": "pid",
    "visit add": "visit_added",
    "correction file": "corrected_mobile",
}
#: Archive-desk steps: their events are counted against the steps the database shows done.
DESK_EVENTS = {
    "file request": "lookup_request",
    "file approve": "lookup_approve",
    "file hand-out": "lookup_hand_out",
    "file take-back": "lookup_take_back",
}


def _acknowledged(row: dict) -> bool:
    return 200 <= row["status"] < 400


def _must_be_logged(row: dict) -> bool:
    if row["action"] in READS:
        return row["status"] == 200
    mark = WRITE_MARKS.get(row["action"])
    return mark is not None and bool(row.get(mark))


def check_books(config: dict, plan: dict, rows: list[dict], fault_window=None) -> dict:
    from app import create_app  # noqa: PLC0415
    from extensions import db  # noqa: PLC0415
    from models.admin.people import User  # noqa: PLC0415
    from models.archive.archive_desk import LookupRequest  # noqa: PLC0415
    from models.archive.archives import ArchiveFile  # noqa: PLC0415
    from models.privacy.audit import AccessEvent  # noqa: PLC0415
    from models.sales.prospects import Prospect, Visit  # noqa: PLC0415
    from models.shared.approvals import ChangeRequest, RecordHistory  # noqa: PLC0415
    from services.privacy import audit  # noqa: PLC0415

    lines: list[str] = []
    problems = 0

    def report(ok: bool, text: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        lines.append(("ok    " if ok else "WRONG ") + text)

    app = create_app(config)
    with app.app_context():
        session = db.session
        load_users = dict(
            session.execute(
                select(User.id, User.username).where(User.username.like("load_%"))
            ).all()
        )

        # Cards: every acknowledged creation is there, once, with its own phone or its
        # approved correction.
        created = [r for r in rows if r["action"] == "prospect create" and r.get("pid")]
        acked_pids = [r["pid"] for r in created]
        in_db = dict(
            session.execute(
                select(Prospect.id, Prospect.created_by_id).where(
                    Prospect.created_by_id.in_(load_users)
                )
            ).all()
        )
        lost = [pid for pid in acked_pids if pid not in in_db]
        doubled = [pid for pid, n in Counter(acked_pids).items() if n > 1]
        unacknowledged = len(in_db) - len(set(acked_pids) & set(in_db))
        report(
            not lost and not doubled,
            f"cards: {len(acked_pids)} acknowledged, {len(lost)} lost, {len(doubled)} doubled; "
            f"{unacknowledged} written without an answer the user saw",
        )
        mobiles = Counter()
        for prospect in session.scalars(select(Prospect).where(Prospect.id.in_(list(in_db)))):
            mobiles[prospect.mobile] += 1
        told = [r["created_mobile"] for r in created]
        twice = [m for m in told if mobiles[m] > 1]
        report(not twice, f"cards: no phone of a new card on two cards ({len(twice)} twice)")

        # Visits: one from the creation plus each acknowledged added one (more only when a
        # request was cut off after its commit, fewer never).
        added = Counter(r["pid"] for r in rows if r.get("visit_added"))
        counts = dict(
            session.execute(
                select(Visit.prospect_id, func.count())
                .where(Visit.prospect_id.in_(list(in_db)))
                .group_by(Visit.prospect_id)
            ).all()
        )
        short = [pid for pid in acked_pids if counts.get(pid, 0) < 1 + added.get(pid, 0)]
        extra = [pid for pid in acked_pids if counts.get(pid, 0) > 1 + added.get(pid, 0)]
        report(
            not short,
            f"visits: {sum(added.values())} acknowledged additions, {len(short)} cards short, "
            f"{len(extra)} with a visit no user was told of",
        )

        # Corrections and approvals.
        filed = Counter(r["pid"] for r in rows if r.get("corrected_mobile"))
        requests = session.scalars(
            select(ChangeRequest).where(
                ChangeRequest.record_type == "prospect",
                ChangeRequest.record_id.in_(list(in_db)),
            )
        ).all()
        per_card = Counter(request.record_id for request in requests)
        missing = [pid for pid, n in filed.items() if per_card.get(pid, 0) < n]
        report(
            not missing,
            f"corrections: {sum(filed.values())} acknowledged, {len(requests)} in the queue "
            f"or decided, {len(missing)} cards missing one",
        )
        approved_told = {
            r["change_request"]
            for r in rows
            if r["action"] == "approval approve" and _acknowledged(r)
        }
        status = {request.id: request.status for request in requests}
        # A request whose card changed after it was filed (a visit added meanwhile) is
        # answered "stale, nothing applied": decided, not applied, and the user is told so.
        not_decided = [rid for rid in approved_told if status.get(rid) not in ("approved", "stale")]
        applied = Counter(
            request_id
            for request_id, event in session.execute(
                select(RecordHistory.request_id, RecordHistory.event).where(
                    RecordHistory.request_id.in_([r.id for r in requests])
                )
            ).all()
            if event == "approved"
        )
        approved = [rid for rid, s in status.items() if s == "approved"]
        stale = [rid for rid, s in status.items() if s == "stale"]
        wrong = [rid for rid in approved if applied.get(rid, 0) != 1]
        wrong += [rid for rid in stale if applied.get(rid, 0) != 0]
        report(
            not not_decided and not wrong,
            f"approvals: {len(approved_told)} answered, {len(approved)} applied and {len(stale)} "
            f"stale in the database, {len(not_decided)} left undecided, {len(wrong)} applied "
            "other than once (record history)",
        )

        # Paper files: none out twice, and a file is out exactly when one request holds it.
        touched = set(
            session.scalars(
                select(LookupRequest.file_id).where(LookupRequest.requested_by_id.in_(load_users))
            )
        )
        out = Counter(
            session.scalars(
                select(LookupRequest.file_id).where(
                    LookupRequest.status == "handed_out", LookupRequest.file_id.in_(touched)
                )
            )
        )
        out_twice = [file_id for file_id, n in out.items() if n > 1]
        lent = set(
            session.scalars(
                select(ArchiveFile.id).where(
                    ArchiveFile.state == "lent_out", ArchiveFile.id.in_(touched)
                )
            )
        )
        # Only the files this run asked for: the demo has files out on paper loans of its own.
        mismatched = lent ^ set(out)
        handed = sum(1 for r in rows if r["action"] == "file hand-out" and _acknowledged(r))
        report(
            not out_twice and not mismatched,
            f"files: {handed} hand-outs answered, {len(out)} out now, {len(out_twice)} out "
            f"twice, {len(mismatched)} whose state disagrees with the desk",
        )

        # The access log.
        verification = audit.verify(session)
        report(
            verification.ok,
            f"access-log chain: {verification.checked} events "
            + ("verify" if verification.ok else f"BROKEN: {verification}"),
        )
        events = defaultdict(list)
        for request_id, username, action in session.execute(
            select(AccessEvent.request_id, AccessEvent.username, AccessEvent.action).where(
                AccessEvent.request_id.like(plan["run_tag"] + "%")
            )
        ):
            events[request_id].append((username, action))
        by_id = {r["request_id"]: r for r in rows}
        unlogged = Counter()
        checked = 0
        for row in rows:
            if _must_be_logged(row):
                checked += 1
                if not any(user == row["user"] for user, _ in events.get(row["request_id"], [])):
                    unlogged[row["action"]] += 1
        strangers = [rid for rid in events if rid not in by_id]
        wrong_user = [
            rid
            for rid, items in events.items()
            if rid in by_id and any(user not in (by_id[rid]["user"], None) for user, _ in items)
        ]
        report(
            not unlogged and not strangers and not wrong_user,
            f"access events: {checked} customer-data requests each with its event "
            f"({sum(unlogged.values())} without: {dict(unlogged)}); {sum(map(len, events.values()))} "
            f"events of this run, {len(strangers)} from no request, {len(wrong_user)} naming "
            "another account",
        )
        desk_done = {
            "lookup_request": session.scalar(
                select(func.count())
                .select_from(LookupRequest)
                .where(LookupRequest.requested_by_id.in_(load_users))
            ),
            "lookup_approve": session.scalar(
                select(func.count())
                .select_from(LookupRequest)
                .where(LookupRequest.decided_by_id.in_(load_users))
            ),
            "lookup_hand_out": session.scalar(
                select(func.count())
                .select_from(LookupRequest)
                .where(LookupRequest.handed_out_by_id.in_(load_users))
            ),
            "lookup_take_back": session.scalar(
                select(func.count())
                .select_from(LookupRequest)
                .where(LookupRequest.returned_to_id.in_(load_users))
            ),
        }
        desk_events = Counter(
            action for items in events.values() for _user, action in items if action in desk_done
        )
        desk_wrong = {
            action: (done, desk_events.get(action, 0))
            for action, done in desk_done.items()
            if done != desk_events.get(action, 0)
        }
        report(
            not desk_wrong,
            "archive desk: each step done has its event "
            + ", ".join(f"{a} {n}" for a, n in desk_done.items())
            + (f"; (done, events) differ: {desk_wrong}" if desk_wrong else ""),
        )
        db.engine.dispose()

    # Status 0: the connection broke before an answer (a killed worker's requests in flight).
    fives = [r for r in rows if r["status"] >= 500 or r["status"] == 0]
    inside = [
        r for r in fives if fault_window and fault_window[0] <= r["at"] <= fault_window[1] + 30
    ]
    unexplained = len(fives) - len(inside)
    report(unexplained == 0, f"5xx or cut off: {len(fives)} ({len(inside)} in the fault window)")
    return {"ok": problems == 0, "lines": lines, "unexplained_5xx": unexplained}
