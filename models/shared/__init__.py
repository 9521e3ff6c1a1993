"""Shared by every area: change requests and history, the name-search index, the office calendar."""
