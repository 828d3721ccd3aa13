"""A call recording over the size limit (ARREARS_CALLS_MAX_MB) is refused and nothing is stored: on
the pages before the upload is read (its declared length, 413), on the API by the bytes read."""

from __future__ import annotations

import pytest

from arrears.services.calls import CallSettings
from tests.api import Api, World, api_fixture, assert_error, world_fixture  # noqa: F401
from tests.calls import tiny_wav
from tests.web import Site, csrf_of

# One backend is enough: the limit is checked before anything reaches the database.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

ONE_MB = CallSettings(max_bytes=1_000_000, retention_days=90)


def over_a_megabyte(by: int = 1) -> bytes:
    return tiny_wav() + b"\x00" * (1_000_000 + by)


def test_the_api_refuses_a_recording_over_the_limit_and_stores_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = world.api
    monkeypatch.setattr(api.arrears, "call_settings", lambda: ONE_MB)

    answer = api.call(
        "POST", f"/tasks/{world['task_maria']}/recording", "maria", files={"file": ("call.wav", over_a_megabyte())}
    )

    assert_error(answer, 422, "invalid_value", "at most 1 MB")
    assert list(api.arrears.calls_dir().glob("*")) == []


def test_the_task_page_refuses_a_recording_over_the_limit_before_reading_it(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site.arrears, "call_settings", lambda: ONE_MB)
    client = site.signed_in("maria")
    csrf = csrf_of(client.get("/tasks").text)

    answer = client.post(
        f"/tasks/{site.tasks['acme']}/recording",
        data={"csrf": csrf},
        files={"file": ("call.wav", over_a_megabyte(by=100_000), "audio/wav")},
    )

    assert answer.status_code == 413
    assert "the recording is too large: at most 1 MB" in answer.text
    assert list(site.arrears.calls_dir().glob("*")) == []


def test_the_task_page_refuses_a_recording_just_over_the_limit_once_read(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site.arrears, "call_settings", lambda: ONE_MB)
    client = site.signed_in("maria")
    csrf = csrf_of(client.get("/tasks").text)

    answer = client.post(
        f"/tasks/{site.tasks['acme']}/recording",
        data={"csrf": csrf},
        files={"file": ("call.wav", over_a_megabyte(), "audio/wav")},
    )

    assert answer.status_code == 400
    assert "at most 1 MB" in answer.text
    assert list(site.arrears.calls_dir().glob("*")) == []
