"""Chinese translations of the stale-page checks (views/concurrency.py, views/base.py)."""

ZH = {
    "This page is out of date. It now shows the record as it is; check it and save again.": "此页面已过期。现在显示的是该记录的最新内容，请核对后再保存。",
    "Someone changed this record after you opened it. Nothing of yours was saved yet: compare below, then save again to apply your changes.": "您打开此页面之后，有人修改了这条记录。您的修改尚未保存：请对照下表，再次保存即可应用您的修改。",
    "Changed since you opened this page": "您打开此页面之后的修改",
    "%(who)s at %(when)s": "%(who)s 于 %(when)s",
    "Field": "字段",
    "When you opened the page": "您打开页面时",
    "Now": "现在",
    "What you typed": "您填写的",
    "(unchanged: takes the new value)": "（您未修改：采用新值）",
    "The form below keeps what you typed and takes the new value wherever you changed nothing. Save to apply it.": "下面的表单保留了您填写的内容，您未修改的字段已换成新值。保存即可应用。",
    "%(record)s changed after the page was shown, so it was not deleted. Look at it again and delete it if you still mean to.": "%(record)s 在页面显示之后已被修改，因此未删除。请重新查看，如仍需删除请再操作一次。",
    "Edit this record on its own page.": "请在该记录的编辑页面中修改。",
    "This record changed after the page was shown. Look at it again and ask for the deletion if you still mean to.": "该记录在页面显示之后已被修改。请重新查看，如仍需删除请再提交申请。",
    "Someone ticked this item meanwhile; nothing was changed. Check it on the list.": "该项已被他人勾选，本次未作任何修改。请在清单中核对。",
    "Yes": "是",
    "No": "否",
}
