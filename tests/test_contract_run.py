"""CONTRACT.md sections 6-8, black-box: the real `promptspec run` and `promptspec mock-server`
commands as subprocesses, against a scripted fake Astria API or the emulator on loopback."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

KEY = "sk-contract-UNMISTAKABLE-KEY-7f3a"
EXE = str(Path(sys.executable).with_name("promptspec"))
SPEC = 'tune 1\nprompt p {\n  text = "a fox {{ seed }}"\n  num_images = 2\n' \
       '  sweep {\n    seed = 1..%d\n  }\n}\n'


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


PNG = _png()


# -- a scripted fake of the Astria prompts API ------------------------------------------------

@dataclass
class Event:
    method: str
    path: str
    at: float
    auth: str | None


@dataclass
class FakeApi:
    """Creates follow `script` (one entry per POST, then "ok"): "ok", an int status answered
    without creating, "502+"/"504+" (created, then that status), "drop+" (created, then the
    connection cut), "hang+" (created, then no answer for a long time), "422"."""

    script: list[str | int] = field(default_factory=list)
    delay: float = 0.0
    skew: float = 0.0  # seconds the server's clock is off from ours
    events: list[Event] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    inflight: int = 0
    max_inflight: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posts(self) -> list[Event]:
        return [e for e in self.events if e.method == "POST"]

    def gets(self, kind: str) -> list[Event]:
        pattern = {"list": r"^/tunes/\d+/prompts$", "one": r"^/tunes/\d+/prompts/\d+",
                   "image": r"^/img/"}[kind]
        return [e for e in self.events if e.method == "GET" and re.match(pattern, e.path)]

    def create(self, tune_id: int, fields: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            pid = len(self.prompts) + 1
            n = int(fields.get("num_images", "1"))
            obj: dict[str, Any] = {
                "id": pid, "tune_id": tune_id, "callback": None, "negative_prompt": None,
                "cfg_scale": None, "steps": None, "seed": None, **fields,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                            time.gmtime(time.time() + self.skew)),
                "url": f"{self.url}/tunes/{tune_id}/prompts/{pid}.json",
                "images": [f"{self.url}/img/{pid}/{i}.png" for i in range(n)],
                "user_error": None, "cost_mc": 7 * n,
            }
            if "seed" in fields:
                obj["seed"] = int(fields["seed"])
            self.prompts.append(obj)
            return obj


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, ctype: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _log(self) -> str:
            path = urlsplit(self.path).path
            with api.lock:
                api.events.append(Event(self.command, path, time.monotonic(),
                                        self.headers.get("Authorization")))
            return path

        def do_GET(self) -> None:
            path = self._log()
            if path.startswith("/img/"):
                self._send(200, PNG, "image/png")
                return
            m = re.match(r"^/tunes/(\d+)/prompts(?:/(\d+))?(?:\.json)?$", path)
            if not m:
                self._send(404, {"error": "Not Found"})
                return
            with api.lock:
                mine = [p for p in api.prompts if p["tune_id"] == int(m[1])]
            if m[2]:
                found = [p for p in mine if p["id"] == int(m[2])]
                self._send(200 if found else 404, found[0] if found else {"error": "x"})
                return
            q = parse_qs(urlsplit(self.path).query)
            offset, limit = int(q.get("offset", ["0"])[0]), int(q.get("limit", ["20"])[0])
            self._send(200, mine[::-1][offset: offset + min(limit, 120)])

        def do_POST(self) -> None:
            path = self._log()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            msg = BytesParser(policy=policy.default).parsebytes(
                b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body
            )
            fields: dict[str, str] = {}
            for part in msg.iter_parts():
                name = re.search(r'name="prompt\[(\w+)\]"', part["Content-Disposition"])
                assert name is not None
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                fields[name[1]] = payload.decode()
            with api.lock:
                step = api.script.pop(0) if api.script else "ok"
                api.inflight += 1
                api.max_inflight = max(api.max_inflight, api.inflight)
            try:
                time.sleep(api.delay)
                tune_id = int(path.split("/")[2])
                if step == "422":
                    self._send(422, {"text": ["is not allowed by the contract fake"]})
                elif isinstance(step, int):
                    self._send(step, {"error": f"status {step}"}, headers={"Retry-After": "1"}
                               if step == 429 else None)
                elif step == "user_error":
                    obj = api.create(tune_id, fields)
                    obj.update(images=[], user_error="the fake refuses this prompt")
                    self._send(201, obj)
                elif step == "ok":
                    self._send(201, api.create(tune_id, fields))
                elif step in ("502+", "504+"):
                    api.create(tune_id, fields)
                    self._send(int(step[:3]), {"error": "gateway"})
                elif step == "drop+":
                    api.create(tune_id, fields)
                    self.close_connection = True
                elif step == "hang+":
                    api.create(tune_id, fields)
                    time.sleep(20)
                    self.close_connection = True
            finally:
                with api.lock:
                    api.inflight -= 1

    return Handler


@pytest.fixture
def fake() -> Iterator[FakeApi]:
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    server.block_on_close = False
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield api
    server.shutdown()
    server.server_close()


# -- running the real commands ---------------------------------------------------------------

def env(**extra: str | None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("ASTRIA_", "PROMPTSPEC_"))}
    out.update({"ASTRIA_API_KEY": KEY, "PROMPTSPEC_BACKOFF_BASE": "0.01",
                "PROMPTSPEC_POLL_START": "0.05"})
    for k, v in extra.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def run(cwd: Path, *args: str, **extra: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, "run", *args], cwd=cwd, env=env(**extra), capture_output=True,
                          text=True, timeout=60)


def project(tmp_path: Path, n: int = 3, text: str = SPEC) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    spec = tmp_path / "demo.pspec"
    spec.write_text(text % n if "%d" in text else text)
    return spec


def request_ids(cwd: Path) -> list[str]:
    out = subprocess.run([EXE, "expand", "demo.pspec"], cwd=cwd, env=env(), capture_output=True,
                         text=True, check=True).stdout
    return [json.loads(line)["id"] for line in out.splitlines()]


def results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


def one_line_error(proc: subprocess.CompletedProcess[str], code: int) -> str:
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    return lines[-1]


# -- section 7: the key and the base URL -------------------------------------------------------

@pytest.mark.parametrize("key", [None, "   "])
def test_missing_key_is_one_line_exit_2_and_sends_nothing(
    tmp_path: Path, fake: FakeApi, key: str | None
) -> None:
    project(tmp_path)
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, ASTRIA_API_KEY=key)
    assert "ASTRIA_API_KEY" in one_line_error(proc, 2)
    assert len(proc.stderr.strip().splitlines()) == 1
    assert fake.events == []


def test_base_url_option_beats_environment(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=1)
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, "--out", "a",
               ASTRIA_BASE_URL="http://127.0.0.1:9")
    assert proc.returncode == 0, proc.stderr
    assert len(fake.posts()) == 1
    proc = run(tmp_path, "demo.pspec", "--out", "b", ASTRIA_BASE_URL=fake.url + "/")
    assert proc.returncode == 0, proc.stderr
    assert len(fake.posts()) == 2  # new out folder, same request: sent to the env's URL


def test_default_base_url_is_the_api(tmp_path: Path) -> None:
    project(tmp_path, n=1)
    proc = subprocess.run([EXE, "expand", "demo.pspec", "--format", "curl"], cwd=tmp_path,
                          env=env(), capture_output=True, text=True)
    assert "https://api.astria.ai/tunes/1/prompts" in proc.stdout
    assert KEY not in proc.stdout


# -- section 7: the run folder, exactly once, the key kept out -------------------------------

def test_run_folder_contents_and_resume(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=3)
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    out = tmp_path / "runs" / "demo"
    assert (out / "run.sqlite").is_file() and (out / "index.html").is_file()
    with Image.open(out / "grids" / "p.png") as grid:
        assert grid.format == "PNG"
    ids = request_ids(tmp_path)
    lines = results(out)
    assert [x["id"] for x in lines] == ids
    assert all(x["cost_mc"] == 14 and x["state"] == "finished" for x in lines)
    for rid in ids:
        assert sorted(p.name for p in (out / "images" / "p").glob(f"{rid}-*")) == [
            f"{rid}-0.png", f"{rid}-1.png"]
        assert (out / "images" / "p" / f"{rid}-0.png").read_bytes() == PNG
    assert "42 mc" in proc.stderr  # the closing summary carries the cost
    # the key: only in API calls' Authorization, never to image hosts, never written
    assert all(e.auth == f"Bearer {KEY}" for e in fake.events if not e.path.startswith("/img"))
    assert all(e.auth is None for e in fake.gets("image"))
    assert len(fake.posts()) == 3 and len(fake.gets("image")) == 6
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in proc.stderr
    before = len(fake.events)
    again = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert again.returncode == 0, again.stderr
    later = fake.events[before:]
    assert not [e for e in later if e.method == "POST" or e.path.startswith("/img")]


def test_no_wait_then_a_plain_run(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=2)
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, "--no-wait", "--out", "o")
    assert proc.returncode == 0, proc.stderr
    assert len(fake.posts()) == 2
    assert not fake.gets("one") and not fake.gets("image")
    assert not list((tmp_path / "o").glob("images/*/*"))
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, "--out", "o")
    assert proc.returncode == 0, proc.stderr
    assert len(fake.posts()) == 2 and len(fake.gets("image")) == 4
    assert [x["state"] for x in results(tmp_path / "o")] == ["finished", "finished"]


def test_inflight_after_a_crash_is_reconciled_before_resending(
    tmp_path: Path, fake: FakeApi
) -> None:
    project(tmp_path, n=1)
    fake.script = ["hang+"]
    proc = subprocess.Popen([EXE, "run", "demo.pspec", "--base-url", fake.url], cwd=tmp_path,
                            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not fake.prompts and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fake.prompts, "the create never arrived"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    first_list = len(fake.events)
    again = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert again.returncode == 0, again.stderr
    assert len(fake.posts()) == 1 and len(fake.prompts) == 1
    assert any(e.path == "/tunes/1/prompts" for e in fake.events[first_list:])
    assert [x["remote_id"] for x in results(tmp_path / "runs" / "demo")] == [1]


# -- section 7: retries, unknown outcomes, validation errors -----------------------------------

def test_429_500_503_are_retried_honouring_retry_after(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=1)
    fake.script = [429, 500, 503]
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert proc.returncode == 0, proc.stderr
    posts = fake.posts()
    assert len(posts) == 4 and len(fake.prompts) == 1
    assert posts[1].at - posts[0].at >= 0.95  # Retry-After: 1


def test_gives_up_only_after_ten_retries_and_exits_1(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=1)
    fake.script = [503] * 40
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, PROMPTSPEC_BACKOFF_BASE="0.001")
    assert proc.returncode == 1
    assert len(fake.posts()) >= 11
    assert [x["state"] for x in results(tmp_path / "runs" / "demo")] == ["failed"]


@pytest.mark.parametrize("fault", ["502+", "drop+"])
def test_unknown_outcome_found_by_listing_is_not_resent(
    tmp_path: Path, fake: FakeApi, fault: str
) -> None:
    project(tmp_path, n=1)
    fake.script = [fault]
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert proc.returncode == 0, proc.stderr
    assert len(fake.posts()) == 1 and len(fake.prompts) == 1
    assert len(fake.gets("list")) >= 2  # the start-up check, then the reconciliation


def test_reconciling_tolerates_a_server_clock_behind_ours(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=1)
    fake.script, fake.skew = ["504+"], -45.0
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert proc.returncode == 0, proc.stderr
    assert len(fake.posts()) == 1 and len(fake.prompts) == 1


def test_a_prompt_with_user_error_fails_the_run(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=2)
    fake.script = ["user_error"]
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert proc.returncode == 1
    rows = results(tmp_path / "runs" / "demo")
    assert sorted(x["state"] for x in rows) == ["failed", "finished"]
    assert "the fake refuses this prompt" in proc.stderr
    assert len(fake.posts()) == 2


@pytest.mark.parametrize("fault", [504])
def test_unknown_outcome_not_found_is_listed_then_resent(
    tmp_path: Path, fake: FakeApi, fault: int
) -> None:
    project(tmp_path, n=1)
    fake.script = [fault]
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert proc.returncode == 0, proc.stderr
    posts = fake.posts()
    assert len(posts) == 2 and len(fake.prompts) == 1
    assert any(posts[0].at < e.at < posts[1].at for e in fake.gets("list"))


def test_422_is_reported_with_the_api_message_and_never_retried(
    tmp_path: Path, fake: FakeApi
) -> None:
    project(tmp_path, n=2)
    fake.script = ["422"]
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "is not allowed by the contract fake" in proc.stderr
    assert len(fake.posts()) == 2
    states = [x["state"] for x in results(tmp_path / "runs" / "demo")]
    assert sorted(states) == ["failed", "finished"]
    failed = [x for x in results(tmp_path / "runs" / "demo") if x["state"] == "failed"]
    assert "is not allowed by the contract fake" in failed[0]["error"]


# -- section 7: concurrency, rate ---------------------------------------------------------------

def test_concurrency_bounds_creates_in_flight(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=6)
    fake.delay = 0.15
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, "--concurrency", "2")
    assert proc.returncode == 0, proc.stderr
    assert len(fake.posts()) == 6
    assert fake.max_inflight <= 2


def test_rate_bounds_creates_per_second(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=6)
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, "--rate", "10")
    assert proc.returncode == 0, proc.stderr
    posts = fake.posts()
    assert len(posts) == 6
    assert posts[-1].at - posts[0].at >= 0.4  # 6 creates at 10 per second span 0.5 s


# -- section 7: refusals and the plan -------------------------------------------------------------

def test_spec_with_errors_is_refused_with_its_findings(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, text='tune 1\nprompt p {\n  text = "x"\n  steps = 99\n}\n')
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url)
    assert proc.returncode == 1
    assert "demo.pspec:4:11: PS103" in proc.stdout + proc.stderr
    assert fake.events == []


def test_max_requests_default_1000_and_option(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=1001)
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, "--dry-run")
    assert proc.returncode != 0 and "1000" in proc.stderr
    assert run(tmp_path, "demo.pspec", "--dry-run", "--max-requests", "1001").returncode == 0
    project(tmp_path, n=3)
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, "--max-requests", "2")
    assert proc.returncode != 0 and proc.stdout == ""
    assert fake.events == []
    assert not (tmp_path / "runs").exists()


def test_dry_run_prints_the_plan_and_sends_nothing(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=3)
    proc = run(tmp_path, "demo.pspec", "--base-url", fake.url, "--dry-run")
    assert proc.returncode == 0
    assert "3 requests, 6 images" in proc.stdout + proc.stderr
    assert fake.events == []
    assert not (tmp_path / "runs").exists()


def _on_a_terminal(cwd: Path, answer: bytes | None, *args: str) -> tuple[int, str]:
    """Run with stdin and stderr on a pseudo-terminal; answer the question if one comes."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([EXE, "run", *args], cwd=cwd, env=env(), stdin=slave,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    try:
        while answer is not None and b"?" not in seen:
            chunk = os.read(master, 4096)
            assert chunk, seen
            seen += chunk
        if answer is not None:
            os.write(master, answer)
        proc.wait(timeout=30)
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 4096):
                seen += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, seen.decode(errors="replace")


def test_on_a_terminal_more_than_50_asks_first_unless_yes(tmp_path: Path, fake: FakeApi) -> None:
    project(tmp_path, n=51)
    code, seen = _on_a_terminal(tmp_path, b"n\n", "demo.pspec", "--base-url", fake.url)
    assert code == 1 and "51" in seen
    assert fake.events == []
    code, seen = _on_a_terminal(tmp_path, None, "demo.pspec", "--base-url", fake.url,
                                "--yes", "--no-wait")
    assert code == 0, seen
    assert len(fake.posts()) == 51


def test_mock_needs_no_key(tmp_path: Path) -> None:
    project(tmp_path, n=1)
    proc = run(tmp_path, "demo.pspec", "--mock", ASTRIA_API_KEY=None)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    [row] = results(tmp_path / "runs" / "demo")
    assert row["state"] == "finished" and len(row["images"]) == 2


# -- section 8: the emulator as `promptspec mock-server` ------------------------------------------

@contextlib.contextmanager
def mock_server(*args: str) -> Iterator[str]:
    proc = subprocess.Popen([EXE, "mock-server", "--port", "0", *args], env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        url = re.search(r"http://\S+", line)
        assert url is not None, line
        yield url[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


AUTH = {"Authorization": "Bearer any-key"}


def test_mock_server_endpoints_and_object(tmp_path: Path) -> None:
    with mock_server("--latency", "0.3") as url, httpx.Client(base_url=url, headers=AUTH) as c:
        r = c.post("/tunes/5/prompts", files={"prompt[text]": (None, "a cat"),
                                              "prompt[num_images]": (None, "3")})
        assert r.status_code == 201
        obj = r.json()
        assert obj["text"] == "a cat" and obj["tune_id"] == 5 and obj["images"] == []
        assert obj["url"] == f"{url}/tunes/5/prompts/{obj['id']}.json"
        for key in ("callback", "negative_prompt", "cfg_scale", "steps", "seed", "trained_at",
                    "started_training_at", "created_at", "updated_at"):
            assert key in obj
        assert c.get(obj["url"]).json()["images"] == []
        j = c.post("/tunes/5/prompts", json={"prompt": {"text": "a dog"}})
        assert j.status_code == 201
        time.sleep(0.4)
        images = c.get(obj["url"]).json()["images"]
        assert len(images) == 3
        assert len(c.get(f"/tunes/5/prompts/{j.json()['id']}").json()["images"]) == 1
        raw = httpx.get(images[0])  # no key
        assert raw.status_code == 200 and raw.content.startswith(b"\x89PNG")
        # 401 without a Bearer key, on every prompt endpoint
        for method, path in (("GET", "/tunes/5/prompts"), ("POST", "/tunes/5/prompts"),
                             ("GET", f"/tunes/5/prompts/{obj['id']}"),
                             ("DELETE", f"/tunes/5/prompts/{obj['id']}")):
            assert httpx.request(method, url + path).status_code == 401
            for auth in ("Bearer", "Basic a2V5"):
                bare = httpx.request(method, url + path, headers={"Authorization": auth})
                assert bare.status_code == 401
        bad = c.post("/tunes/5/prompts", files={"prompt[text]": (None, "x"),
                                                "prompt[steps]": (None, "99")})
        assert bad.status_code == 422
        body = bad.json()
        assert list(body) == ["error", "steps"] and isinstance(body["steps"][0], str)
        assert "steps" in body["error"] and "\n" not in body["error"]
        assert c.delete(f"/tunes/5/prompts/{j.json()['id']}").status_code in (200, 204)
        assert c.get(f"/tunes/5/prompts/{j.json()['id']}").status_code == 404


def test_mock_server_list_newest_first_default_20_at_most_120() -> None:
    with mock_server() as url, httpx.Client(base_url=url, headers=AUTH) as c:
        for i in range(125):
            assert c.post("/tunes/3/prompts", json={"prompt": {"text": f"t{i}"}}).is_success
        first = c.get("/tunes/3/prompts").json()
        assert len(first) == 20
        assert [p["text"] for p in first[:2]] == ["t124", "t123"]
        assert len(c.get("/tunes/3/prompts", params={"limit": 500}).json()) == 120
        page = c.get("/tunes/3/prompts", params={"offset": 120, "limit": 120}).json()
        assert [p["text"] for p in page] == ["t4", "t3", "t2", "t1", "t0"]


def test_mock_server_faults() -> None:
    with mock_server("--rate-limit", "1") as url, httpx.Client(base_url=url, headers=AUTH) as c:
        answers = [c.post("/tunes/1/prompts", json={"prompt": {"text": "r"}}) for _ in range(3)]
        limited = [r for r in answers if r.status_code == 429]
        assert limited and all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    with mock_server("--fail-rate", "1") as url, httpx.Client(base_url=url, headers=AUTH) as c:
        codes = {c.post("/tunes/1/prompts", json={"prompt": {"text": "f"}}).status_code
                 for _ in range(12)}
        assert codes <= {500, 503} and codes
        assert c.get("/tunes/1/prompts").json() == []
    with mock_server("--drop-rate", "1") as url, httpx.Client(base_url=url, headers=AUTH) as c:
        with pytest.raises(httpx.TransportError):
            c.post("/tunes/1/prompts", json={"prompt": {"text": "dropped"}})
        assert [p["text"] for p in c.get("/tunes/1/prompts").json()] == ["dropped"]


@pytest.mark.parametrize("host", ["0.0.0.0", "example.com"])
def test_mock_server_refuses_non_loopback_hosts(host: str) -> None:
    proc = subprocess.run([EXE, "mock-server", "--host", host, "--port", "0"], env=env(),
                          capture_output=True, text=True, timeout=20)
    assert one_line_error(proc, 2)
    assert len(proc.stderr.strip().splitlines()) == 1


def test_run_against_a_faulty_mock_server_creates_each_once(tmp_path: Path) -> None:
    project(tmp_path, n=8)
    args = ("--fail-rate", "0.3", "--drop-rate", "0.3", "--seed", "3", "--latency", "0.1")
    with mock_server(*args) as url:
        proc = run(tmp_path, "demo.pspec", "--base-url", url)
        assert proc.returncode == 0, proc.stderr
        listed = httpx.get(url + "/tunes/1/prompts", headers=AUTH).json()
    assert sorted(p["text"] for p in listed) == sorted(f"a fox {i}" for i in range(1, 9))
    assert all(x["state"] == "finished" for x in results(tmp_path / "runs" / "demo"))
