"""Chinese translations of the regular recheck of paper files (views/archive_recheck.py)."""

ZH = {
    "Files due for recheck": "待复核档案",
    "Files never checked, or last checked %(days)s days ago or more (%(total)s in all). Destroyed files are not rechecked.": "从未复核或距上次复核已满 %(days)s 天的档案（共 %(total)s 份）。已销毁的档案不再复核。",
    "Where": "存放位置",
    "never": "从未复核",
    "Rechecked today": "今日已复核",
    "No file is due for its recheck.": "暂无待复核的档案。",
    "Recheck recorded for today.": "已记录今日复核。",
    "This file cannot be marked as rechecked.": "无法将该档案记为已复核。",
    "This file is not due for its recheck (checked meanwhile?).": "该档案目前无需复核（可能刚被他人复核）。",
    "The page had expired; nothing was changed. Try again.": "页面已过期，未作任何修改。请重试。",
}
