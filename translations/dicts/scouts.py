"""Chinese translations of the scout (踩盘) flag: services/scouts.py, views/scouts.py, the
welcome card's details page and the day's cards."""

ZH = {
    "Not a scout": "非踩盘",
    "Why this customer is a competitor's scout": "判断为同行踩盘的理由",
    "Say why this customer is a competitor's scout; the supervisor reads it.": (
        "请说明判断为同行踩盘的理由，现场主管会阅读。"
    ),
    "This card is already flagged as a competitor's scout.": "此温馨卡已注明为同行踩盘。",
    "A change of this flag is already waiting for the supervisor (request #%(id)s).": (
        "此标记的变更已在等待现场主管确认（申请 #%(id)s）。"
    ),
    "Proposed as a competitor's scout (request #%(id)s): the flag is set once a supervisor "
    "confirms it.": "已报告为同行踩盘（申请 #%(id)s）：现场主管确认后才注明踩盘。",
    "Not counted in the weekly B/C count, the follow-up lists or the day's cards.": (
        "不计入每周B/C类客户统计、回访名单和当日来访卡。"
    ),
    "Proposed as a competitor's scout by %(name)s (request #%(id)s): waiting for a "
    "supervisor.": "%(name)s 已报告为同行踩盘（申请 #%(id)s），等待现场主管确认。",
    "Propose as a competitor's scout": "报告为同行踩盘",
    "The flag is set only when a supervisor confirms it in the approvals queue.": (
        "现场主管在审批队列中确认后才注明踩盘。"
    ),
    "Send to the supervisor": "报告现场主管",
    "not counted": "不计入",
}
