"""Chinese translations of the lease intake strings (being registered until the intake is
recorded), merged with translations/fill.py."""

ZH = {
    "Being registered": "办理中",
    "being registered": "办理中",
    "Both parties came on": "双方到场日期",
    "Original seen by": "原件查验人",
    "Intake still to record": "尚待登记事项",
    "Intake complete": "登记事项已齐全",
    "Who saw the original contract": "合同原件查验人",
    "Left empty when ticking “original seen”: you saw it.": "勾选“合同原件已查验”而未选查验人时，记为您本人查验。",
    "Lease being registered": "租赁办理中",
    "This lease is still being registered: nobody has moved in, so there is no move-out. "
    "Complete its intake, or ask a supervisor to delete it if the letting fell through.": (
        "该租赁仍在办理中：租户尚未入住，无从办理迁出。请补齐登记事项；如租赁未成，请主管删除该记录。"
    ),
    "The unit already has a lease in force. End it at the move-out desk before this lease "
    "can become active; until then this one stays being registered.": (
        "该房屋已有生效中的租赁。请先在迁出办理处结束该租赁，本租赁方可生效；在此之前仍为办理中。"
    ),
    "This lease is still being registered (missing: %(items)s). Nobody has moved in, so "
    "there is no move-out; a supervisor deletes a letting that fell through.": (
        "该租赁仍在办理中（尚缺：%(items)s）。租户尚未入住，无从办理迁出；租赁未成的，由主管删除记录。"
    ),
}
