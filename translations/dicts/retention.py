"""Chinese for the retention review and its periods (services/retention*.py,
views/retention.py, templates/admin/retention*.html)."""

RETENTION = {
    # kinds
    "Welcome cards never signed": "未成交的温馨卡",
    "the last contact": "最后一次联系",
    "anonymised: names and numbers cleared, the statistics stay": (
        "匿名化：清除姓名和号码，统计数据保留"
    ),
    "Three years: a buyer not signed and not contacted for three years is no longer followed "
    "up; data is kept no longer than its purpose needs (PIPL art. 19, GB/T 35273 6.1).": (
        "三年：三年未成交且未联系的客户不再跟进；个人信息的保存期限应为实现处理目的所必要的"
        "最短时间（《个人信息保护法》第十九条，GB/T 35273 第6.1条）。"
    ),
    "Past owners": "原业主",
    "the end of their last ownership": "最后一次产权终止",
    "Three years: claims from the ownership (fees, repairs, deposits) lapse after three years "
    "(Civil Code art. 188); a current owner is never listed.": (
        "三年：产权期间的请求（物业费、维修、押金等）诉讼时效为三年（《民法典》第一百八十八条）；"
        "现业主不会列入。"
    ),
    "Ended tenancies": "已结束的租赁",
    "the end of their last lease": "最后一份租约结束（退租）",
    "Three years: claims from the lease (rent, fees, deposit, damage) lapse after three years "
    "(Civil Code art. 188); a tenant with a lease not ended is never listed.": (
        "三年：租赁产生的请求（租金、费用、押金、损坏）诉讼时效为三年（《民法典》第一百八十八条）；"
        "仍有未结束租约的租户不会列入。"
    ),
    "Dealers never signed": "未签约的经销商",
    "the last visit": "最后一次拜访",
    "anonymised: the contact's name and numbers, the files' and visits' texts": (
        "匿名化：清除联系人姓名和号码、档案和拜访记录的文字"
    ),
    "Two years: a potential dealer not visited for two years is no longer worked, and the "
    "contact person's data has no purpose left (PIPL art. 19); a signed dealer is never "
    "listed.": (
        "两年：两年未拜访的潜在经销商已不再跟进，联系人的个人信息已无处理目的（《个人信息保护法》"
        "第十九条）；已签约的经销商不会列入。"
    ),
    "Observation notes of receptions": "接待记录中的观察内容",
    "the reception": "接待当日",
    "observations cleared: date, channel, consultant and summary stay": (
        "清除观察内容：日期、方式、置业顾问和接待摘要保留"
    ),
    "Two years: appearance, character and finances are the most intrusive notes and serve the "
    "sale, decided well within two years (GB/T 35273 6.1: no more than needed).": (
        "两年：外貌、性格、经济状况是最敏感的记录，只为销售服务，而购房决定通常在两年内作出"
        "（GB/T 35273 第6.1条：不超过所必需）。"
    ),
    "Access log": "访问日志",
    "the event": "事件发生时",
    "events deleted; the deletion itself is logged": "删除事件；删除本身记入日志",
    "Three years: the Cybersecurity Law (art. 21) asks network logs be kept at least six "
    "months, PIPL art. 56 asks records of processing be kept at least three years; never less "
    "than six months.": (
        "三年：《网络安全法》第二十一条要求网络日志留存不少于六个月，《个人信息保护法》第五十六条"
        "要求处理情况记录至少保存三年；任何情况下不少于六个月。"
    ),
    # service messages
    "only an admin sets the retention periods": "只有管理员可以设置保存期限",
    "write why the periods change": "请写明修改保存期限的原因",
    "%(kind)s: between %(low)s and %(high)s days.": "%(kind)s：须在 %(low)s 至 %(high)s 天之间。",
    "%(kind)s was changed meanwhile (now %(days)s days): look again.": (
        "%(kind)s 已被他人修改（现为 %(days)s 天）：请重新查看。"
    ),
    "%(kind)s was changed meanwhile: look again.": "%(kind)s 已被他人修改：请重新查看。",
    "no such kind of record": "没有这类记录",
    "a batch of these records is already waiting for approval": "这类记录已有一个批次在等待批准",
    "nothing is past its retention period": "没有超过保存期限的记录",
    "this batch is already decided": "该批次已处理",
    "only a supervisor or an admin asks for or approves a batch": (
        "只有销售主管或管理员可以申请或批准批次"
    ),
    "another person must approve what you asked for": "您提出的申请须由另一人批准",
    "The database refused to delete from the access log; nothing was changed "
    "(docs/privacy-requests.md says which right the database account needs).": (
        "数据库拒绝删除访问日志，未做任何更改（所需的数据库账号权限见 docs/privacy-requests.md）。"
    ),
    # pages
    "Retention review": "保存期限审查",
    "Privacy": "个人信息保护",
    "Waiting for approval": "待批准",
    "Carried out": "已执行",
    "Rejected": "已驳回",
    "%(days)s days (%(years)s years)": "%(days)s 天（%(years)s 年）",
    "%(days)s days (%(months)s months)": "%(days)s 天（%(months)s 个月）",
    "%(days)s days": "%(days)s 天",
    "Why the periods change": "修改原因",
    "Enter a number of days.": "请填写天数。",
    "Between %(min)s and %(max)s days.": "须在 %(min)s 至 %(max)s 天之间。",
    "Asked; another supervisor or admin must approve it.": "已提交申请，须由另一位主管或管理员批准。",
    "Done: %(count)s records.": "已完成：%(count)s 条记录。",
    "The batch was rejected.": "该批次已驳回。",
    "The retention periods are saved.": "保存期限已保存。",
    "Nothing was changed.": "未做任何修改。",
    "Each kind of record is kept for its period, counted from its own day; what is past it is "
    "listed here. One supervisor or admin asks, another approves: persons are anonymised (the "
    "statistics stay), observation notes are cleared, old access-log events are deleted.": (
        "每类记录自其起算日起保存相应期限，超过期限的在此列出。由一位主管或管理员申请、另一位批准："
        "个人信息匿名化（统计数据保留），观察内容清除，过期的访问日志事件删除。"
    ),
    "Records": "记录",
    "Kept for": "保存期限",
    "Counted from": "起算日",
    "Cut-off": "截止日期",
    "Past retention": "超过期限",
    "What happens": "处理方式",
    "before %(day)s": "早于 %(day)s",
    "Ask for approval": "申请批准",
    "Change the retention periods": "修改保存期限",
    "Asked by": "申请人",
    "Asked at": "申请时间",
    "Approve and run": "批准并执行",
    "Reject": "驳回",
    "Another supervisor or admin approves what you asked for.": (
        "由另一位主管或管理员批准您提出的申请。"
    ),
    "None.": "无。",
    "History": "历史记录",
    "Done to": "处理条数",
    "Decided by": "审批人",
    "Decided at": "审批时间",
    "Status": "状态",
    "None yet.": "暂无。",
    "Changes to the periods": "保存期限的修改",
    "When": "时间",
    "Who": "操作人",
    "Reason": "原因",
    "%(old)s → %(new)s days": "%(old)s → %(new)s 天",
    "The policy's defaults, never changed.": "采用制度规定的默认期限，从未修改。",
    "Retention periods": "保存期限",
    "How long each kind of record is kept, counted from its own day. The defaults are the "
    "policy's; every change is recorded with its reason.": (
        "每类记录自其起算日起的保存时间。默认值为制度规定；每次修改均连同原因记录在案。"
    ),
    "Kept for (days)": "保存期限（天）",
    "Allowed": "允许范围",
    "Default and why": "默认值及理由",
    "now: %(period)s": "当前：%(period)s",
    "%(low)s to %(high)s days": "%(low)s 至 %(high)s 天",
    "Save": "保存",
    "Back to the retention review": "返回保存期限审查",
    # actions in the access log (views/audit.py)
    "retention batch asked": "申请保存期限批次",
    "retention batch rejected": "驳回保存期限批次",
    "anonymised (retention)": "匿名化（保存期限到期）",
    "observation notes cleared (retention)": "清除观察内容（保存期限到期）",
    "old access-log events deleted": "删除过期访问日志",
}
