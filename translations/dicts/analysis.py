"""Chinese for the customer analysis (客户分析, views/analysis.py)."""

ZH = {
    "Customer analysis": "客户分析",
    "Budget": "购房预算",
    "Not filled in": "未填写",
    "Under 500,000 yuan": "50万以下",
    "500,000 to 1 million yuan": "50–100万",
    "1 to 1.5 million yuan": "100–150万",
    "1.5 to 2 million yuan": "150–200万",
    "2 to 3 million yuan": "200–300万",
    "3 million yuan and over": "300万以上",
    "Enter the dates as YYYY-MM-DD.": "请按“年-月-日”（YYYY-MM-DD）填写日期。",
    "The period ends before it starts: choose an end date on or after the start.": (
        "截止日期早于起始日期：请选择不早于起始日期的截止日期。"
    ),
    "The period is too long: choose at most %(days)d days.": (
        "时间段过长：一次最多选择 %(days)d 天。"
    ),
    "Choose a project from the list.": "请从列表中选择项目。",
    "Welcome cards by their first visit, broken down to find what customers need. "
    "Scouts are left out; anonymised cards still count.": (
        "按首次来访日期统计温馨卡，分析客户的潜在需求。不含同行踩盘；已匿名的温馨卡仍计入统计。"
    ),
    "First visits from": "首次来访日期自",
    "First visits to": "首次来访日期至",
    "until": "至",
    "All projects": "全部项目",
    "At most %(days)d days at once; both dates are included.": (
        "一次最多 %(days)d 天，含起止两日。"
    ),
    "%(n)d welcome cards first received from %(start)s to %(end)s.": (
        "%(start)s 至 %(end)s 首次接待的温馨卡共 %(n)d 张。"
    ),
    "No welcome card in this period.": "此时间段内没有温馨卡。",
    "Cards": "卡数",
    "Share": "占比",
    "Share (%)": "占比（%）",
    "Cards counted": "统计卡数",
    "Scouts are left out.": "不含同行踩盘。",
    "Made at (Beijing time)": "生成时间（北京时间）",
    "report viewed": "查看报表",
}
