"""A call's recording in Chromium (SQLite; the API's and the integration tests cover both databases):
the collector uploads it from the call task, the task says "transcribing…" until the worker is done,
then shows the transcript with its times and plays the audio (its own content type, never sniffed);
the customer's timeline has the call word for word; both pages pass the accessibility checks, and a
transcript with markup in it stays text."""

from __future__ import annotations

from pathlib import Path

import playwright.sync_api as playwright
import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from tests.browser import sign_in, task_row
from tests.calls import FakeTranscriber, tiny_wav
from tests.e2e.test_web_browser_a11y import problems_of
from tests.web import Site

expect = playwright.expect
SAID = "We will pay <script>alert(1)</script> invoice INV-1001 on Friday."


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the pages; both databases: test_api_calls, …_db
def test_a_collector_uploads_a_call_and_reads_its_transcript_on_the_task_and_the_timeline(
    served: tuple[Site, str], page: playwright.Page, tmp_path: Path
) -> None:
    site, base = served
    site.arrears.transcriber = FakeTranscriber(SAID)  # type: ignore[misc]
    site.arrears.start_transcription = lambda recording_id: None  # type: ignore[method-assign]  # the worker's
    (tmp_path / "acme-call.wav").write_bytes(tiny_wav())
    task_id = site.tasks["acme"]
    sign_in(page, base, "maria")
    row = task_row(page, task_id)

    row.get_by_label("Call recording (WAV, MP3 or OGG)").set_input_files(str(tmp_path / "acme-call.wav"))
    row.get_by_role("button", name="Upload recording").click()
    page.wait_for_url(f"{base}/tasks?*")  # back to the list as it was
    expect(page.locator(".flash")).to_contain_text("Recording acme-call.wav attached: transcribing…")
    expect(row.locator(".call-recording")).to_have_text("Recording attached: transcribing…")
    with site.arrears.engine.connect() as connection:
        recording_id = connection.execute(select(t.call_recordings.c.id)).scalar_one()
    site.arrears.transcribe_now(recording_id)  # what the worker's job does
    page.reload()

    transcript = row.locator("details.transcript")
    transcript.locator("summary").click()
    expect(transcript.locator("ol.segments li")).to_have_text(["0:00 Hello.", f"0:01 {SAID}"])
    audio = transcript.locator("audio")
    expect(audio).to_have_attribute("src", f"/tasks/{task_id}/recording/audio")
    played = page.request.get(f"{base}/tasks/{task_id}/recording/audio")
    assert played.status == 200
    assert played.headers["content-type"] == "audio/wav"
    assert played.headers["x-content-type-options"] == "nosniff"
    assert problems_of(page) == []

    page.goto(f"{base}/customers/C1")
    on_timeline = page.locator("ol.timeline details.transcript")
    on_timeline.locator("summary").click()
    expect(on_timeline.locator("ol.segments li").nth(1)).to_have_text(f"0:01 {SAID}")
    assert problems_of(page) == []
