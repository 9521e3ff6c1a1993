"""Chinese translations of sign-in throttling, session and password-rule strings."""

ZH = {
    # services/passwords.py
    "A password needs at least %(num)d characters.": "密码至少需要 %(num)d 个字符。",
    "A password may have at most %(num)d characters.": "密码最多 %(num)d 个字符。",
    "A password must not be one character repeated.": "密码不能由同一个字符重复组成。",
    "A password must not be the username.": "密码不能与用户名相同。",
    "This password is one of the most common ones; choose a harder one.": "该密码属于最常见的密码，容易被猜中，请换一个更难猜的密码。",
    # services/accounts.py
    "A username is required.": "请填写用户名。",
    "Unknown role %(code)s.": "未知角色 %(code)s。",
    "This username is taken; choose another.": "该用户名已被使用，请另选一个。",
    # views/security.py
    "Too many failed sign-ins. Try again in %(minutes)d minutes.": "登录失败次数过多，请 %(minutes)d 分钟后再试。",
    "Your session has ended. Please sign in again.": "您的登录已失效，请重新登录。",
    "You were signed out after %(minutes)d minutes without activity.": "您已连续 %(minutes)d 分钟无操作，系统已自动退出登录。",
    "Full numbers shown; this look is in the access log.": "已显示完整号码；本次查看已记入访问日志。",
    "Show full numbers": "显示完整号码",
    "Phone and ID numbers are masked; showing them is logged.": "电话和身份证号已打码；显示完整号码会记入访问日志。",
    "Phone and ID numbers are masked.": "电话和身份证号已打码。",
}
