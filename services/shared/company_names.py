"""How the imports match a company's or shop's name (a dealer's) typed in a sheet against the
names in the panel.

``name_key``: the name as the forms and the dealer list match it: full width folded to half
width (NFKC), no spaces, lower case. ``loose_key`` goes further, for a name that finds nothing
as typed: no brackets or the usual punctuation, and no company-form suffix, so
"华南五金（广州）有限公司", "华南五金(广州)有限责任公司" and "华南五金 广州 公司" agree. A loose match
is taken only when it is the only one (the callers count the candidates).
"""

from __future__ import annotations

import unicodedata

#: Dropped by the loose key: brackets of every width (NFKC folds （） to ()) and the
#: punctuation people put in or leave out of a company's name.
_DROPPED = str.maketrans(
    dict.fromkeys("()[]{}<>【】〔〕〖〗《》「」『』·•・.,，、'\"‘’“”-_—–&", None)
)
#: Company-form suffixes, the longest first (after the punctuation is dropped: "co.,ltd" is
#: "coltd").
COMPANY_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "责任公司",
    "公司",
    "coltd",
    "company",
    "corp",
    "ltd",
    "inc",
)


def name_key(name) -> str:
    """A name as matched exactly: full width folded, no spaces, lower case."""
    text = unicodedata.normalize("NFKC", str(name)).lower()
    return "".join(text.split())


def loose_key(name) -> str:
    """A name as matched loosely: ``name_key`` without brackets, punctuation and one
    company-form suffix (有限公司, 有限责任公司, 股份有限公司, 公司, Co., Ltd. ...)."""
    text = name_key(name).translate(_DROPPED)
    for suffix in COMPANY_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text
