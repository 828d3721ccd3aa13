"""How a session's browser is named in its user's list (domain/web_sessions.py): told from the
User-Agent by plain string checks, each browser before the ones its User-Agent imitates."""

from __future__ import annotations

import pytest

from arrears.domain.web_sessions import client_text, device_of

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.122 Mobile Safari/537.36"
)
CHROME_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/126.0.6478.153 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (CHROME_MAC, "Chrome on macOS"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (CHROME_ANDROID, "Chrome on Android"),
        (CHROME_IPAD, "Chrome on iPad"),
        (FIREFOX_LINUX, "Firefox on Linux"),
        ("curl/8.5.0", "curl"),
        ("python-httpx/0.27.0", "Python"),
        ("Mozilla/5.0 (X11; Linux x86_64) Something/1.0", "Unknown browser on Linux"),
        ("testclient", "Unknown browser"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
    ],
)
def test_a_browser_is_named_with_its_system(user_agent: str | None, device: str) -> None:
    assert device_of(user_agent) == device


def test_what_a_client_sent_is_kept_without_control_characters_and_cut_to_size() -> None:
    assert client_text("Firefox\x00\r\n/128", 200) == "Firefox/128"
    assert client_text("x" * 300, 200) == "x" * 200
    assert client_text(" \t ", 200) is None
    assert client_text(None, 64) is None
