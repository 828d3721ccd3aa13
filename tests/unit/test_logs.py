"""Log lines as text or JSON, with the id of the web request they were written for."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from arrears.adapters.logs import JsonFormatter, TextFormatter, logging_config, request_id
from arrears.api.request_ids import request_id_of
from arrears.domain.errors import InvalidValue


def record(message: str = "sent %d emails", exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise RuntimeError("the mail server left")
        except RuntimeError:
            info = sys.exc_info()
    args = (3,) if "%d" in message else ()
    return logging.LogRecord("arrears.worker", logging.WARNING, __file__, 1, message, args, info)


def test_a_json_line_has_time_level_logger_message_and_the_request_id() -> None:
    token = request_id.set("req-42")
    try:
        line = JsonFormatter().format(record())
    finally:
        request_id.reset(token)

    document = json.loads(line)
    assert document["level"] == "WARNING" and document["logger"] == "arrears.worker"
    assert document["message"] == "sent 3 emails" and document["request_id"] == "req-42"
    assert document["time"].endswith("+00:00")


def test_a_json_line_outside_a_request_has_no_request_id_and_keeps_the_trace_on_one_line() -> None:
    line = JsonFormatter().format(record("failed", exc=True))

    document = json.loads(line)
    assert "\n" not in line
    assert "request_id" not in document
    assert "RuntimeError: the mail server left" in document["exception"]


def test_a_text_line_names_the_request_after_the_logger() -> None:
    formatter = TextFormatter("%(name)s%(request_tag)s %(levelname)s %(message)s")
    token = request_id.set("abc")
    try:
        inside = formatter.format(record())
    finally:
        request_id.reset(token)

    assert inside == "arrears.worker [abc] WARNING sent 3 emails"
    assert formatter.format(record()) == "arrears.worker WARNING sent 3 emails"


@pytest.mark.parametrize("given", ["5f0c8a1e-93b4-4c0e-9d54-1f7a2c3b4d5e", "trace.1:2_3-4", "a"])
def test_a_sane_request_id_is_kept(given: str) -> None:
    assert request_id_of(given) == given


@pytest.mark.parametrize("given", [None, "", "x" * 129, "a b", "a\nb", "<script>", 'a"b', "é"])
def test_another_request_id_is_replaced_by_a_new_one(given: str | None) -> None:
    made = request_id_of(given)

    assert made != given and len(made) == 32 and int(made, 16) >= 0


def test_the_log_format_is_text_or_json() -> None:
    assert logging_config("json")["formatters"]["arrears"]["()"] is JsonFormatter
    assert logging_config("text")["formatters"]["arrears"]["()"] is TextFormatter
    with pytest.raises(InvalidValue, match="use text or json"):
        logging_config("xml")
