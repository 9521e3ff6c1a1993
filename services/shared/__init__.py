"""Shared by every area: working days, name search, and the approval of corrections."""
