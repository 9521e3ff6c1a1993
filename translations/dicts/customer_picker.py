"""Chinese for the customer picker (views/customer_picker.py)."""

CUSTOMER_PICKER = {
    "Search by name or phone": "按姓名或电话查找",
    "Search for the customer by name or phone and pick one.": "请按姓名或电话查找并选择客户。",
}
