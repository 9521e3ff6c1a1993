"""Shared by every area: field validators."""
