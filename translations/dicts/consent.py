"""Chinese of consent (PIPL) on customer records."""

CONSENT = {
    "Purpose explained, the customer agreed": "已告知用途，客户同意",
    "A contract with the customer (purchase or lease)": "与客户订有合同（购房或租赁）",
    "This consent cannot be changed.": "此授权无法修改。",
    "This consent was already withdrawn.": "此授权已撤回。",
    "Say how the customer withdrew (a call, a letter, at the desk...).": "请说明客户撤回的方式（电话、信函、到前台……）。",
    "Basis for keeping the data": "保存资料的依据",
    "Basis": "依据",
    "Privacy notice": "隐私告知",
    "Given (UTC)": "授权时间（UTC）",
    "Withdrawn": "撤回",
    "How the customer withdrew": "客户撤回的方式",
    "Record withdrawal": "登记撤回",
    "No basis recorded (entered before consent was asked).": "无授权记录（录入时尚未要求授权）。",
    "The withdrawal of consent is recorded.": "已登记撤回授权。",
    "Tell the customer the purpose and get their agreement (or name the contract) before saving their data.": "保存客户资料前，请告知用途并取得客户同意（或注明合同依据）。",
    "Purpose explained and agreed": "已告知用途并取得同意",
    "Purpose: %(purpose)s (privacy notice %(version)s)": "用途：%(purpose)s（隐私告知 %(version)s 版）",
    # services/consent.py, views/printing.py: a withdrawal takes effect
    "consent withdrawn": "已撤回同意",
    "The customer withdrew their consent: this record is left out of exports, prints and marketing follow-up. Only what the contract or the law still needs goes on (a customer's own request, a signed contract).": "客户已撤回同意：该记录不再导出、打印，也不再安排营销回访。仅合同或法律仍需要的处理继续进行（客户本人的请求、已签订的合同）。",
    "The customer withdrew their consent: the card is not printed.": "客户已撤回同意：不打印该温馨卡。",
}
