"""Shared fixtures and helpers: a project folder, the CLI run in-process, the emulator on
loopback, a recording transport for what the runner sends, and the golden-file flag.

Every test starts from a clean environment: no `ASTRIA_*`, `PROMPTSPEC_*` or
`GITHUB_ACTIONS` variable leaks in from the machine running the suite.

A throw-away PostgreSQL server serves the shared-ledger tests, and the `ledger` fixture runs
a test once per ledger implementation (SQLite, PostgreSQL). The server is started once per
test process: `initdb` into a fresh temporary folder (as the `postgres` user when running as
root: initdb and pg_ctl refuse root), trust authentication, a free loopback port, its
socket in the temporary folder; it is stopped and the folder deleted at the end. Without
server binaries the PostgreSQL tests skip, unless `PROMPTSPEC_REQUIRE_POSTGRES=1` (set by
`.ci/run`) makes that a failure.

The suite keeps Python's bytecode caches (in the `__pycache__` folders git ignores) even when
`PYTHONDONTWRITEBYTECODE` is set: the CLI tests start the interpreter as a user does, many
times over, and without a cache each start compiles the package anew (about 0.15 s each, 6 s
over the suite), as each test process rewrites every test module for its asserts (about 2 s).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from promptspec.cli import cli
from promptspec.emulator import EmulatorConfig, RunningEmulator, fields_key, start_emulator

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CONFORMANCE = DATA / "conformance"
KEY = "sk-test-UNMISTAKABLE-KEY-7f3a"
REQUIRE_POSTGRES = os.environ.get("PROMPTSPEC_REQUIRE_POSTGRES") == "1"
"""Read before any test cleans the environment: CI turns the PostgreSQL skips into failures."""
SWEEP_SPEC = ('tune 1\nprompt p {\n  text = "a fox {{ seed }}"\n  num_images = %d\n'
              '  w = 64\n  h = 64\n  sweep {\n    seed = 1..%d\n  }\n}\n')
"""Images of 64 px: the emulator draws them and the contact sheet shrinks them cheaply."""


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: str
    fixable: bool


def _code_table() -> dict[str, Code]:
    table: dict[str, Code] = {}
    for line in (DATA / "rule_codes.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            code, name, severity, *rest = line.split()
            table[code] = Code(code, name, severity, rest == ["fixable"])
    return table


CODE_TABLE = _code_table()
"""The rule codes as published (tests/data/rule_codes.txt), in code order."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ from the current output instead of testing it")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("ASTRIA_", "PROMPTSPEC_")) or name == "GITHUB_ACTIONS":
            monkeypatch.delenv(name)


# -- files -------------------------------------------------------------------------------------

def write(root: Path, files: dict[str, str | bytes], pyproject: str | None = None) -> Path:
    """Write `files` under `root` (text dedented), and a pyproject.toml when `pyproject` is
    given (the project root); returns `root`."""
    if pyproject is not None:
        (root / "pyproject.toml").write_text('[project]\nname = "x"\n' + pyproject)
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project (a pyproject.toml) that is also the working directory."""
    write(tmp_path, {}, pyproject="")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def sweep_spec(root: Path, n: int = 3, images: int = 2, name: str = "demo.pspec") -> Path:
    """A spec of `n` requests (`seed` 1..n) of `images` images each."""
    spec = root / name
    spec.write_text(SWEEP_SPEC % (images, n))
    return spec


# -- the CLI, in-process -----------------------------------------------------------------------

def invoke(*args: str, input: str | None = None, env: dict[str, str | None] | None = None
           ) -> Result:
    """`promptspec ARGS...` in this process; stdout and stderr kept apart."""
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def invoke_unbroken(*args: str) -> tuple[int, str, str]:
    """`promptspec ARGS...` in this process, which must end without a traceback or an
    "internal error", however hostile its input: (exit code, stdout, stderr)."""
    r = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in r.output + r.stderr
    assert "internal error" not in r.output + r.stderr
    return r.exit_code, r.stdout, r.stderr


def invoke_in(folder: Path, args: list[str]) -> tuple[int, str, str]:
    """`promptspec ARGS...` from `folder`: (exit code, stdout, stderr)."""
    with contextlib.chdir(folder):
        r = invoke(*args)
    return r.exit_code, r.stdout, r.stderr


def one_line_error(result: Result, code: int) -> str:
    """The result failed with `code`, nothing on stdout, one line on stderr and no
    traceback; that line."""
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def results(out: Path) -> list[dict[str, Any]]:
    return json_lines(out / "results.jsonl")


def findings(*args: str) -> list[tuple[str, int, int, str]]:
    """`lint --format json ARGS`: (path, line, column, code) of each finding."""
    r = invoke("lint", "--format", "json", *args)
    assert r.exit_code in (0, 1), r.output
    return [(f["path"], f["line"], f["column"], f["code"]) for f in json.loads(r.stdout)]


def positions(*args: str) -> list[tuple[int, int, str]]:
    """`lint --format json ARGS`: (line, column, code) of each finding."""
    return [(line, column, code) for _, line, column, code in findings(*args)]


def expand_lines(*args: str) -> list[dict[str, Any]]:
    """`expand ARGS`: the requests it prints, which must succeed."""
    r = invoke("expand", *args)
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def never_written(root: Path, *texts: str) -> None:
    """No file under `root` holds the key (nor a long piece of it), nor any of `texts`."""
    for path in root.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert KEY.encode() not in blob and KEY[5:20].encode() not in blob, path
    for text in texts:
        assert KEY not in text and KEY[5:20] not in text


# -- the API: the emulator, and what the runner sends ------------------------------------------

@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator(EmulatorConfig(latency=0.05, seed=5)) as emu:
        yield emu


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The key in the environment, and fast retries and polls for `promptspec run`."""
    monkeypatch.setenv("ASTRIA_API_KEY", KEY)
    monkeypatch.setenv("PROMPTSPEC_BACKOFF_BASE", "0.01")
    monkeypatch.setenv("PROMPTSPEC_POLL_START", "0.02")
    monkeypatch.setenv("PROMPTSPEC_SETTLE", "0.05")
    return KEY


def assert_exactly_once(emu: RunningEmulator, params: list[dict[str, Any]]) -> None:
    """The emulator created each of `params` once and nothing else."""
    counts = emu.creates_by_fields()
    assert emu.state.create_count == len(params)
    for p in params:
        assert counts[fields_key(p)] == 1, p


def tls() -> Any:
    """The process's one TLS context (the runner's), for the tests' own HTTP clients: httpx
    otherwise reads certifi's roots for every client, about 30 ms of CPU each."""
    from promptspec.runner._api import tls_context

    return tls_context()


@dataclass
class Sent:
    method: str
    url: httpx.URL
    authorization: str | None
    status: int | None = None


@dataclass
class Wire(httpx.AsyncBaseTransport):
    """A transport for the runner that forwards to the network and records each request,
    and how many creates were in flight at once."""

    sent: list[Sent] = field(default_factory=list)
    inflight: int = 0
    max_inflight: int = 0
    delay: float = 0.0  # seconds a create stays in flight on our side, after its answer
    _inner: httpx.AsyncHTTPTransport = field(
        default_factory=lambda: httpx.AsyncHTTPTransport(retries=0, verify=tls()))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import asyncio

        entry = Sent(request.method, request.url, request.headers.get("authorization"))
        self.sent.append(entry)
        create = request.method == "POST"
        if create:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            response = await self._inner.handle_async_request(request)
            entry.status = response.status_code
            if create and self.delay:
                await asyncio.sleep(self.delay)
            return response
        finally:
            if create:
                self.inflight -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()

    def renew(self) -> None:
        """A fresh connection pool for the next run (each run has its own event loop)."""
        self._inner = httpx.AsyncHTTPTransport(retries=0, verify=tls())

    def posts(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST"]

    def gets(self, kind: str) -> list[Sent]:
        def is_kind(s: Sent) -> bool:
            parts = s.url.path.strip("/").split("/")
            if kind == "image":
                return parts[0] == "images"
            if kind == "list":
                return parts[0] == "tunes" and len(parts) == 3
            return parts[0] == "tunes" and len(parts) == 4  # one prompt
        return [s for s in self.sent if s.method == "GET" and is_kind(s)]


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Wire]:
    """Every `promptspec run` in this test sends through one recording `Wire`."""
    from promptspec.runner import session

    recorder = Wire()
    real: Callable[..., int] = session.execute

    def execute(plan: Any, options: Any, stream: Any = None) -> int:
        recorder.renew()
        return real(plan, replace(options, transport=recorder), stream)

    monkeypatch.setattr(session, "execute", execute)
    yield recorder


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds (a hang, not a speed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.005)


# -- with -n: how tests are dealt to the workers ---------------------------------------------

ONE_WORKER_MODULES = frozenset({"tests/test_lsp_diagnostics.py", "tests/test_lsp_features.py"})
"""Modules whose tests share a costly module-scoped fixture (a language server): dealt whole
to one worker, so that it starts once rather than once on each worker."""

POSTGRES_TESTS = frozenset({
    "tests/test_runner_shared.py::test_three_runners_share_one_ledger_and_survive_a_sigkill",
    "tests/test_runner_units.py::test_a_claim_held_by_a_live_runner_is_not_taken_over",
})
"""The tests that ask for `postgres_url` themselves; with those of the `ledger` fixture's
`postgres` case, they are dealt to one worker as one unit: one throw-away server, not two."""


def work_unit(nodeid: str) -> str:
    """What a test is dealt with to a worker: its module, `postgres`, or itself alone."""
    module = nodeid.split("::", 1)[0]
    if module in ONE_WORKER_MODULES:
        return module
    if nodeid in POSTGRES_TESTS or nodeid.endswith("[postgres]"):
        return "postgres"
    return nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Tests are dealt one at a time, the units of `work_unit` whole (the largest first).
    xdist's own `--dist loadgroup` would do this by marks, but with pytest 9.2 its group
    suffix no longer reaches the node ids, so every test would be a unit of its own."""
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return Scheduling(config, log)


# -- rule case files: each one a test item -------------------------------------------------------

class RuleCaseItem(pytest.Item):
    def runtest(self) -> None:
        from casefiles import mismatch, read_case

        problem = mismatch(read_case(self.path))
        if problem:
            raise RuleCaseMismatch(problem)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, RuleCaseMismatch):
            return f"{self.path.name}: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"rule case {self.path.name}"


class RuleCaseMismatch(AssertionError):
    pass


class RuleCaseFile(pytest.File):
    def collect(self) -> Iterator[RuleCaseItem]:
        yield RuleCaseItem.from_parent(self, name="findings")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> RuleCaseFile | None:
    from casefiles import CASES, is_case

    if CASES in file_path.parents and is_case(file_path):
        return RuleCaseFile.from_parent(parent, path=file_path)
    return None


# -- a throw-away PostgreSQL server ------------------------------------------------------

def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a running throw-away server's `postgres` database."""
    bindir = _bindir()
    if bindir is None:
        message = "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " and PROMPTSPEC_REQUIRE_POSTGRES=1")
        pytest.skip(message)
    pytest.importorskip("psycopg")
    folder = Path(tempfile.mkdtemp(prefix="promptspec-pg-"))
    data, sock, log = folder / "data", folder / "sock", folder / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    port = _free_port()
    try:
        subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                                        "-U", "postgres", "--no-sync", "-E", "UTF8"]),
                       check=True, capture_output=True)
        options = (f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                                        "-l", str(log), "-w", "-t", "60", "start"]),
                       check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as err:
        detail = getattr(err, "stderr", b"") or b""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"cannot start PostgreSQL: {err}: {detail.decode(errors='replace')}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m",
                                        "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


_databases = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the throw-away server (one per test)."""
    import psycopg

    name = f"t{os.getpid()}_{next(_databases)}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest) -> str | None:
    """None (the SQLite ledger in OUT) or the URL of a fresh PostgreSQL ledger."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url
