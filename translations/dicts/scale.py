"""Chinese for the list and search work at scale (views/capped_count.py, name search)."""

SCALE = {
    "more than %(count)s": "超过 %(count)s 条",
}
