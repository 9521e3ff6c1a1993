"""The server log's format: one JSON object a line (LOG_FORMAT=json) or plain text."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

#: Marks the handler this module installed, so a second app in one process adds no second.
_HANDLER_NAME = "panel"
_TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def json_formatter() -> logging.Formatter:
    """Time, level, logger and message, plus whatever a call passed in ``extra``."""
    return JsonFormatter(
        _TEXT,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """Send every log record of the process to stderr in ``log_format`` ("json" or "text")."""
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(_TEXT))
    root.addHandler(handler)
    root.setLevel(level)
