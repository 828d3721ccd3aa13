"""How `arrears serve` and `arrears worker` write their logs: as text lines (the default) or as one
JSON object per line (ARREARS_LOG_FORMAT=json) for a log collector, each carrying the id of the web
request it was written for.

The request id lives in a context variable that the app's middleware (api/request_ids.py) sets for
the length of one request: every line logged while that request is served, by Arrears, FastAPI or
uvicorn's access log, carries it, and the response echoes it in `X-Request-ID`.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from ..domain.errors import InvalidValue

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(name)s%(request_tag)s %(levelname)s %(message)s"

request_id: ContextVar[str | None] = ContextVar("arrears_request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `time` (ISO 8601, UTC), `level`, `logger`, `message`, the
    `request_id` of the web request being served (when there is one) and `exception` (the trace)."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            document["request_id"] = current
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Text lines; `%(request_tag)s` is ` [REQUEST_ID]` while a web request is served, else empty."""

    def format(self, record: logging.LogRecord) -> str:
        current = request_id.get()
        record.request_tag = f" [{current}]" if current is not None else ""
        return super().format(record)


def check_format(name: str) -> str:
    """ARREARS_LOG_FORMAT's value, or InvalidValue naming the choices."""
    if name not in FORMATS:
        raise InvalidValue(f"ARREARS_LOG_FORMAT={name!r} is not a log format: use text or json")
    return name


def logging_config(name: str, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for a process of Arrears (also given to uvicorn, whose own
    loggers, `uvicorn.error` and `uvicorn.access`, then write in the same format): everything to
    standard error, at `level`."""
    formatter = JsonFormatter if check_format(name) == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"arrears": {"()": formatter, "fmt": TEXT_FORMAT}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "arrears", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
        },
    }
