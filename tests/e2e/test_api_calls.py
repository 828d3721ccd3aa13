"""/api/v1/tasks/{id}/recording on both databases: a recording uploaded to a call task (multipart),
its state and transcript on the task, its audio with the right content type; refused uploads store
nothing. The transcriber is a fake (the CLI's tests use the model)."""

from __future__ import annotations

from tests.api import Api, World, api_fixture, assert_error, world_fixture  # noqa: F401
from tests.calls import FakeTranscriber, tiny_wav


def upload(api: Api, task_id: int, data: bytes, name: str = "call.wav", as_: str = "maria") -> object:
    return api.call("POST", f"/tasks/{task_id}/recording", as_, files={"file": (name, data, "audio/wav")})


def test_an_uploaded_call_is_transcribed_and_shows_on_the_task_and_its_search(world: World) -> None:
    api = world.api
    api.arrears.transcriber = FakeTranscriber("We will pay invoice 1034 on Friday.")  # type: ignore[misc]
    on_worker = api.arrears.transcribes_on_worker()
    if on_worker:  # PostgreSQL: the worker transcribes; here, at once, as its job would
        api.arrears.start_transcription = lambda recording_id: None  # type: ignore[method-assign]

    created = upload(api, world["task_maria"], tiny_wav(), name="../../acme.wav")
    if on_worker:
        api.arrears.transcribe_now(created.json()["id"])  # type: ignore[attr-defined]
    shown = api.get(f"/tasks/{world['task_maria']}/recording", as_="maria")
    task = api.get(f"/tasks/{world['task_maria']}", as_="maria").json()
    found = api.get("/tasks", as_="maria", params={"all": "true", "q": "Friday"}).json()["items"]
    audio = api.get(f"/tasks/{world['task_maria']}/recording/audio", as_="sam")

    assert created.status_code == 201, created.text  # type: ignore[attr-defined]
    assert created.json()["status"] == "pending"  # type: ignore[attr-defined]
    assert created.json()["filename"] == "acme.wav"  # type: ignore[attr-defined]
    body = shown.json()
    assert (body["status"], body["format"], body["duration_ms"]) == ("done", "wav", 500)
    assert body["transcript"] == "Hello. We will pay invoice 1034 on Friday."
    assert body["segments"][1] == {"start_ms": 1500, "end_ms": 4000, "text": "We will pay invoice 1034 on Friday."}
    assert task["transcript"] == body["transcript"]
    assert task["recording"]["audio_url"] == f"/api/v1/tasks/{world['task_maria']}/recording/audio"
    assert [t["id"] for t in found] == [world["task_maria"]]
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.headers["x-content-type-options"] == "nosniff"
    assert audio.content == tiny_wav()


def test_refused_uploads_store_nothing_and_the_transcript_stays_null(world: World) -> None:
    api = world.api
    note = api.post("/tasks", {"customer_external_id": "C1", "type": "note"}, as_="maria").json()["id"]

    not_a_call = upload(api, note, tiny_wav())
    not_audio = upload(api, world["task_maria"], b"%PDF-1.4 an invoice, named call.wav")
    corrupt = upload(api, world["task_maria"], b"RIFF\x24\x00\x00\x00WAVEjunkjunkjunkjunk")
    not_mine = upload(api, world["task_sam"], tiny_wav())

    assert_error(not_a_call, 422, "invalid_value", "not a call task")
    assert_error(not_audio, 422, "invalid_value", "not a WAV, MP3 or OGG")
    assert_error(corrupt, 422, "invalid_value", "corrupt")
    assert_error(not_mine, 403, "forbidden")
    task = api.get(f"/tasks/{world['task_maria']}", as_="maria").json()
    assert (task["transcript"], task["recording"]) == (None, None)
    assert_error(api.get(f"/tasks/{world['task_maria']}/recording"), 404, "not_found", "no recording")
    assert list(api.arrears.calls_dir().glob("*")) == []
