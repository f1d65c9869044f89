"""`run` under faults and contention: a held OUT, a full disk (a file-size limit), a
read-only folder, a file in place of OUT, bad timing variables and hostile keys; plans and
`expand --limit` on sweeps of any size."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import invoke_unbroken

from promptspec import api
from promptspec.runner._wire import Redactor
from promptspec.runner.out_lock import LOCK_NAME

SPEC = 'tune 1\nprompt a {\n  text = "x {{ seed }}"\n  num_images = 1\n  sweep {\n' \
       "    seed = 1..3\n  }\n}\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "s.pspec").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("ASTRIA_", "PROMPTSPEC_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PROMPTSPEC_POLL_START", "0.05")
    monkeypatch.setenv("PROMPTSPEC_BACKOFF_BASE", "0.01")
    monkeypatch.setenv("PROMPTSPEC_SETTLE", "0.05")
    return tmp_path



def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*") if p.name.endswith((".tmp", ".part")))


HOLDER = """
import sys, time
from collections.abc import Iterator
from pathlib import Path
from promptspec.runner.out_lock import hold_out
with hold_out(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_run_on_a_held_out_exits_2_naming_folder_and_holder(project: Path) -> None:
    out = project / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        code, _, err = invoke_unbroken("run", "--mock", "--out", str(out), "s.pspec")
        assert code == 2
        assert str(out) in err and f"process {holder.pid}" in err
        assert not (out / "run.sqlite").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the kernel let go of the dead holder's lock
    code, _, err = invoke_unbroken("run", "--mock", "--out", str(out), "s.pspec")
    assert code == 0, err
    assert (out / LOCK_NAME).exists() and len((out / "results.jsonl").read_text().splitlines()) == 3


@pytest.mark.parametrize("limit_kb", [60, 200])
def test_a_full_disk_is_one_line_and_leaves_the_ledger_intact(
        project: Path, limit_kb: int, monkeypatch: pytest.MonkeyPatch) -> None:
    out = project / "out"
    emulator = api.emulator(latency=0.05)
    emu = emulator.__enter__()
    monkeypatch.setenv("ASTRIA_API_KEY", "sk-test")
    monkeypatch.setenv("ASTRIA_BASE_URL", emu.url)

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_kb * 1024, limit_kb * 1024))

    done = subprocess.run([sys.executable, "-m", "promptspec", "run", "--out", str(out),
                           "s.pspec"], preexec_fn=small_disk, capture_output=True,
                          text=True, timeout=120, cwd=project, env=dict(os.environ))
    assert done.returncode in (0, 1, 2)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    if done.returncode == 2:
        assert done.stderr.strip().splitlines()[-1].startswith(f"{out}: cannot write")
    assert _leftovers(out) == []
    with sqlite3.connect(out / "run.sqlite") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    try:
        code, _, err = invoke_unbroken("run", "--out", str(out), "s.pspec")  # room again: resumes
    finally:
        emulator.__exit__(None, None, None)
    assert code == 0, err
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["state"] for r in rows] == ["finished"] * 3
    assert sum(emu.creates_by_fields().values()) == 3  # exactly once across both runs


def test_an_out_that_cannot_be_written_is_one_line(project: Path) -> None:
    (project / "afile").write_text("")
    for out in ("afile/sub", "/proc/self/no-such-folder", "/sys/kernel"):
        code, _, err = invoke_unbroken("run", "--mock", "--out", out, "s.pspec")
        assert code == 2, (out, err)
        assert err.strip().splitlines()[-1].startswith(f"{out}: cannot ")


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "1e999", "soon"])
def test_timing_variables_must_be_finite_and_positive(project: Path, value: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROMPTSPEC_POLL_START", "PROMPTSPEC_BACKOFF_BASE"):
        monkeypatch.setenv(name, value)
        code, _, err = invoke_unbroken("run", "--mock", "--out", "out", "s.pspec")
        assert code == 2 and name in err and len(err.strip().splitlines()) == 1
        monkeypatch.setenv(name, "0.05")


@pytest.mark.parametrize("bad", ["\n", "\x01", "\x7f", "\r", "\x1b[2J"])
def test_a_key_with_control_characters_is_refused_unseen(project: Path, bad: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASTRIA_API_KEY", f"sk-SECRET{bad}TAIL")
    code, out, err = invoke_unbroken("run", "--base-url", "http://127.0.0.1:9", "s.pspec")
    assert code == 2 and "control character" in err
    assert "SECRET" not in out + err and "TAIL" not in out + err
    assert not (project / "runs").exists()


def test_the_key_is_redacted_in_every_encoding() -> None:
    key = 'sk-"k/e y+&<>é'
    redact = Redactor(key, "https://user:pa%20ss@api.example")
    forms = [key, "sk-%22k%2Fe%20y%2B%26%3C%3E%C3%A9", "sk-%22k/e%20y%2B%26%3C%3E%C3%A9",
             "sk-%22k%2Fe+y%2B%26%3C%3E%C3%A9", json.dumps(key)[1:-1],
             json.dumps(key, ensure_ascii=False)[1:-1], "sk-&quot;k/e y+&amp;&lt;&gt;é"]
    for form in forms:
        assert redact(f"echo: {form} end") == "echo: *** end", form


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """A hang fails the test (SIGALRM) instead of holding the suite; not a speed check."""
    def fail(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_a_huge_sweep_plans_and_streams_at_once(project: Path) -> None:
    (project / "h.pspec").write_text(
        'tune 1\nprompt a {\n  text = "x {{ seed }}"\n  sweep {\n    seed = 0..4294967296\n'
        "    steps = 1..50\n    num_images = [1, 2]\n  }\n}\n")
    with _deadline(60):
        _huge_sweep_answers(project)


def _huge_sweep_answers(project: Path) -> None:
    code, _, err = invoke_unbroken("run", "--dry-run", "h.pspec", "--max-requests", str(10**12))
    assert code == 0 and "429496729700 requests, 644245094550 images" in err
    code, out, _ = invoke_unbroken("expand", "--limit", "3", "h.pspec")
    assert code == 0 and [json.loads(line)["index"] for line in out.splitlines()] == [0, 1, 2]
    code, _, err = invoke_unbroken("run", "--dry-run", "h.pspec")
    assert code == 2 and "refusing to send 429496729700 requests" in err
    # a shard is counted by walking ids, only until the limit is passed
    code, _, err = invoke_unbroken("run", "--dry-run", "--shard", "2/3", "--out", "o", "h.pspec")
    assert code == 2 and "refusing to send more than 1000 requests" in err
    (project / "z.pspec").write_text(
        'tune 1\nprompt a {\n  text = "x {{ seed }} {{ v }}"\n  zip {\n'
        "    seed = 0..4294967296\n    v = 0..4294967296\n  }\n}\n")
    code, out, _ = invoke_unbroken("expand", "--limit", "2", "z.pspec")
    assert code == 0 and json.loads(out.splitlines()[1])["coords"] == {"seed": 1, "v": 1}
