"""The welcome card's part of the Excel import that belongs to the sales rules: who may be
named a card's consultant, and who owns a card nobody is named on.

The card kind itself is described in services/shared/importer.py (it was the import's first
kind); the rules on consultants are sales rules, which the shared engine may not import
(the dealer and archive kinds build on it), so this module hands them over when the kinds are
gathered (services/shared/import_kinds.py).
"""

from __future__ import annotations

from services.sales import consultants
from services.shared import importer

importer.consultant_rules = consultants
