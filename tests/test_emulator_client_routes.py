"""The emulator's routes that Astria's own client uses (section 8, last paragraph), over real
loopback HTTP: `GET /prompts`, `GET/DELETE /prompts/:id`, list filters, the 422 `error`
line, `--user-error-rate`, `--api`, and array parameters as repeated parts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from conftest import tls

from promptspec.emulator import EmulatorConfig, RunningEmulator, start_emulator

KEY = {"Authorization": "Bearer test-key"}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(headers=KEY, timeout=10, verify=tls()) as c:
        yield c


def create(c: httpx.Client, url: str, tune: int, text: str, **more: str) -> int:
    fields = {"prompt[text]": (None, text), **{f"prompt[{k}]": (None, v)
                                                for k, v in more.items()}}
    r = c.post(f"{url}/tunes/{tune}/prompts", files=fields)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert isinstance(pid, int)
    return pid


def ids(r: httpx.Response) -> list[int]:
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()]


def test_all_prompts_newest_first_with_filters(emulator: RunningEmulator,
                                               client: httpx.Client) -> None:
    url = emulator.url
    made = [create(client, url, 1 + i % 2, f"A Lighthouse {i}") for i in range(25)]
    assert ids(client.get(f"{url}/prompts")) == made[::-1][:20]
    assert ids(client.get(f"{url}/prompts", params={"limit": 500})) == made[::-1]
    assert ids(client.get(f"{url}/prompts", params={"limit": 3, "offset": 2})) == \
        made[::-1][2:5]
    assert ids(client.get(f"{url}/prompts", params={"before_id": made[5]})) == made[:5][::-1]
    assert ids(client.get(f"{url}/tunes/2/prompts", params={"before_id": made[5]})) == \
        [made[3], made[1]]
    assert ids(client.get(f"{url}/prompts", params={"text": "lighthouse 1"})) == \
        [p for i, p in enumerate(made) if str(i).startswith("1")][::-1]
    bad = client.get(f"{url}/prompts", params={"offset": 10001})
    assert bad.status_code == 400 and "before_id" in bad.json()["error"]
    assert client.get(f"{url}/prompts", params={"offset": 10000}).status_code == 200
    assert httpx.get(f"{url}/prompts", verify=tls()).status_code == 401


def test_get_and_delete_by_prompt_id(emulator: RunningEmulator, client: httpx.Client) -> None:
    url = emulator.url
    pid = create(client, url, 5, "a fox")
    for path in (f"/prompts/{pid}", f"/prompts/{pid}.json", f"/tunes/5/prompts/{pid}.json"):
        r = client.get(url + path)
        assert r.status_code == 200 and r.json()["id"] == pid
    r = client.delete(f"{url}/prompts/{pid}")
    assert r.status_code == 200 and r.json() == {"message": "Prompt successfully deleted"}
    assert client.get(f"{url}/prompts/{pid}.json").status_code == 404
    assert pid not in ids(client.get(f"{url}/prompts"))
    other = create(client, url, 5, "a hare")
    r = client.delete(f"{url}/tunes/5/prompts/{other}")
    assert r.json() == {"message": "Prompt successfully deleted"}
    assert client.delete(f"{url}/tunes/5/prompts/{other}").status_code == 404
    assert ids(client.get(f"{url}/tunes/5/prompts")) == []


def test_422_has_an_error_line_and_current_parameters(emulator: RunningEmulator,
                                                      client: httpx.Client) -> None:
    url = emulator.url
    r = client.post(f"{url}/tunes/1/prompts", files={"prompt[text]": (None, "x"),
                                                      "prompt[resolution]": (None, "3K")})
    assert r.status_code == 422
    body = r.json()
    assert body["error"].startswith("resolution") and body["resolution"]
    create(client, url, 1, "x", resolution="2K", workspace_id="3", ar="portrait",
           input_image_base64="data:image/png;base64,iVBORw0KGgo=", community="true")
    parts = [("prompt[text]", (None, "x")),
             ("prompt[image_reference_urls][]", (None, "https://e.com/1.png")),
             ("prompt[image_reference_urls][]", (None, "https://e.com/2.png"))]
    r = client.post(f"{url}/tunes/1/prompts", files=parts)
    assert r.status_code == 201, r.text
    assert r.json()["image_reference_urls"] == ["https://e.com/1.png", "https://e.com/2.png"]
    video = client.post(f"{url}/tunes/1/prompts", files={
        "prompt[video_model]": (None, "kling"),
        "prompt[video_first_frame_url]": (None, "https://e.com/f.png")})
    assert video.status_code == 201, video.text


def test_reference_profile_refuses_current_parameters(client: httpx.Client) -> None:
    with start_emulator(EmulatorConfig(api="reference")) as emu:
        r = client.post(f"{emu.url}/tunes/1/prompts", files={
            "prompt[text]": (None, "x"), "prompt[resolution]": (None, "2K")})
        assert r.status_code == 422 and "unknown parameter 'resolution'" in r.json()["error"]


def test_user_error_rate_fails_prompts_when_they_settle(client: httpx.Client) -> None:
    with start_emulator(EmulatorConfig(user_error_rate=1.0, latency=0.2, seed=1)) as emu:
        pid = create(client, emu.url, 1, "a fox")
        first = client.get(f"{emu.url}/prompts/{pid}.json").json()
        assert first["user_error"] is None and first["images"] == []
        time.sleep(0.3)
        settled = client.get(f"{emu.url}/prompts/{pid}.json").json()
        assert settled["user_error"] and settled["images"] == []
    with start_emulator(EmulatorConfig(user_error_rate=0.0)) as emu:
        pid = create(client, emu.url, 1, "a fox")
        done = client.get(f"{emu.url}/prompts/{pid}.json").json()
        assert done["user_error"] is None and done["images"]
