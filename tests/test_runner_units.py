"""Narrow tests of the runner's parts: wire decisions, matching, ledger, plan, downloads."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptspec.cli.run_command import default_out_dir
from promptspec.errors import RunError
from promptspec.request import Request, request_id
from promptspec.runner._wire import (
    Backoff,
    Redactor,
    api_message,
    classify,
    form_fields,
    retry_after,
)
from promptspec.runner.download import extension
from promptspec.runner.ledger import Budget, Ledger, redact_url
from promptspec.runner.ledgers import open_ledger
from promptspec.runner.plan import make_plan, upload_files
from promptspec.runner.reconcile import matches, pick, same_value


def req(prompt: str, index: int, params: dict[str, Any], tune: int = 1,
        files: dict[str, str] | None = None, spec: str = "s.pspec") -> Request:
    return Request(request_id(tune, params), spec, prompt, index, {"i": index}, tune, params,
                   files or {})


# -- wire --------------------------------------------------------------------------------------

def test_form_fields_types() -> None:
    fields = form_fields({"text": "a", "cfg_scale": 7.0, "super_resolution": True,
                          "face_correct": False, "seed": 3, "input_image": {"file_sha256": "x"}})
    assert fields == {"prompt[text]": "a", "prompt[cfg_scale]": "7.0",
                      "prompt[super_resolution]": "true", "prompt[face_correct]": "false",
                      "prompt[seed]": "3"}


@pytest.mark.parametrize(("status", "outcome"), [
    (201, "created"), (429, "retry"), (500, "retry"), (503, "retry"), (502, "unknown"),
    (504, "unknown"), (422, "invalid"), (400, "invalid"), (401, "auth"), (403, "auth"),
])
def test_classify(status: int, outcome: str) -> None:
    assert classify(status) == outcome


def test_api_message_flattens_field_errors() -> None:
    body = b'{"steps": ["must be at most 50"], "w": ["not a multiple of 8", "too small"]}'
    assert api_message(422, body) == (
        "HTTP 422: steps: must be at most 50; w: not a multiple of 8; w: too small"
    )
    assert api_message(500, b"oops") == "HTTP 500: oops"
    assert api_message(503, b'{"error": "Service Unavailable"}') == "HTTP 503: Service Unavailable"


def test_retry_after_forms() -> None:
    assert retry_after("3") == 3.0
    assert retry_after(None) is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after("soon") is None


@given(attempt=st.integers(1, 200), seed=st.integers(0, 2**32),
       after=st.none() | st.floats(0, 1000))
def test_backoff_is_capped_jittered_and_honours_retry_after(
    attempt: int, seed: int, after: float | None
) -> None:
    b = Backoff(base=0.5, cap=60.0)
    delay = b.delay(attempt, after=after, rng=random.Random(seed))
    ceiling = min(60.0, 0.5 * 2 ** (attempt - 1))
    assert 0 <= delay <= 60.0
    if after is None:
        assert delay <= ceiling  # full jitter under the exponential ceiling
    else:
        assert delay >= min(after, 60.0)  # Retry-After is a floor, under the cap


def test_backoff_grows_and_allows_ten_retries() -> None:
    b = Backoff(base=0.5, cap=60.0)
    rng = random.Random(1)
    assert max(b.delay(n, rng=rng) for n in range(11, 40)) > 5  # grows
    assert b.attempts >= 11  # at least ten retries after the first try


def test_redactor_scrubs_key_and_url_credentials() -> None:
    r = Redactor("sk-secret-123", "https://bob:pw9@api.example.com/v1")
    assert r("Bearer sk-secret-123 to https://bob:pw9@api.example.com") == (
        "Bearer *** to https://***:***@api.example.com"
    )
    assert r.safe_base_url == "https://api.example.com/v1"
    assert "pw9" not in r.safe_base_url


# -- matching ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("mine", "theirs", "same"), [
    (7.0, 7, True), (7, 7.0, True), (7.0, "7", True), (7.5, 7.0, False), (True, "true", True),
    (True, True, True), (False, "false", True), (True, False, False), (True, None, False),
    ("a fox ", "a fox", True), ("a", "b", False), (3, None, False),
])
def test_same_value(mine: object, theirs: object, same: bool) -> None:
    assert same_value(mine, theirs) is same


def test_matches_and_pick_never_claim_twice() -> None:
    r = req("p", 0, {"text": "fox", "seed": 1, "cfg_scale": 7.0})
    obj_a = {"id": 10, "tune_id": 1, "text": "fox", "seed": 1, "cfg_scale": 7, "steps": None}
    obj_b = {"id": 11, "tune_id": 1, "text": "fox", "seed": 2, "cfg_scale": 7}
    assert matches(r.params, obj_a)
    assert not matches(r.params, obj_b)
    from promptspec.runner.ledger import Row

    rw = Row(r.id, 0, r.spec, r.prompt, 0, {}, 1, r.params)
    assert pick(rw, [obj_b, obj_a], set()) == obj_a
    assert pick(rw, [obj_b, obj_a], {10}) is None
    other_tune = dict(obj_a, id=12, tune_id=2)
    assert pick(rw, [other_tune], set()) is None


def test_pick_prefers_the_object_without_extra_fields() -> None:
    from promptspec.runner.ledger import Row

    params = {"text": "fox"}
    rw = Row("ps_x", 0, "s", "p", 0, {}, 1, params)
    loose = {"id": 1, "tune_id": 1, "text": "fox", "seed": 5}
    exact = {"id": 2, "tune_id": 1, "text": "fox", "seed": None}
    assert pick(rw, [loose, exact], set()) == exact


# -- ledger ------------------------------------------------------------------------------------

def _open(tmp_path: Path, url: str | None) -> Ledger:
    return open_ledger(url, tmp_path)


def test_ledger_round_trip_and_resume(tmp_path: Path, ledger: str | None) -> None:
    reqs = [req("p", i, {"text": f"t{i}", "seed": i}) for i in range(3)]
    with _open(tmp_path, ledger) as led:
        rows = led.plan([*reqs, reqs[0]])  # a repeated id is one request
        assert [r.id for r in rows] == [r.id for r in reqs]
        assert led.claim(rows[0]) == "ok"
        led.mark_created(rows[0], 42, 10)
        assert led.claim(rows[1]) == "ok"
        assert led.claim(rows[1]) == "taken"  # a claim is taken once
        led.mark_failed(rows[2], "HTTP 422: steps: bad")
    with _open(tmp_path, ledger) as led:
        rows = led.plan(reqs)
        assert [r.state for r in rows] == ["created", "inflight", "failed"]
        assert rows[0].remote_id == 42 and rows[0].cost_mc == 10 and rows[0].attempts == 1
        assert rows[1].inflight_at is not None
        assert rows[2].error == "HTTP 422: steps: bad"
        assert led.claimed_remote_ids() == {42}
        assert led.held_ids() == {r.id for r in reqs}
        assert led.held_ids(retry_failed=True) == {reqs[0].id, reqs[1].id}
        assert rows[0].params == {"text": "t0", "seed": 0}
        led.retry_failed(rows[2])
        assert next(led.rows([rows[2].id])).state == "planned"


def test_ledger_refuses_one_remote_id_for_two_rows(tmp_path: Path, ledger: str | None) -> None:
    reqs = [req("p", i, {"text": f"t{i}"}) for i in range(2)]
    with _open(tmp_path, ledger) as led:
        rows = led.plan(reqs)
        led.mark_created(rows[0], 7, None)
        with pytest.raises(Exception, match=r"(?i)unique"):
            led.mark_created(rows[1], 7, None)


def test_a_claim_held_by_a_live_runner_is_not_taken_over(tmp_path: Path,
                                                        postgres_url: str) -> None:
    from promptspec.runner.ledger_postgres import PostgresLedger

    r = req("p", 0, {"text": "held"})
    with PostgresLedger(postgres_url, lease=0.3) as a, PostgresLedger(postgres_url) as b:
        (ra,) = a.plan([r])
        assert a.claim(ra) == "ok"
        (rb,) = b.plan([r])
        assert rb.state == "inflight" and rb.held
        assert not b.take_over(rb)
        a._stop.set()  # a stops renewing: as if it had died
        a._renewer.join()
        import time

        time.sleep(0.5)
        b.refresh([rb])
        assert not rb.held and b.take_over(rb)
        a.refresh([ra])
        assert ra.held  # now b holds it


def test_budget_decisions() -> None:
    fin, cre = ("finished", 20, True, 2), ("created", None, False, 1)
    assert Budget(100).decide([], 2) == "ok"  # nothing pending, no estimate: one at a time
    assert Budget(100).decide([cre], 1) == "wait"
    assert Budget(100, per_image_mc=30).decide([cre], 2) == "ok"  # 30 + 60
    assert Budget(100, per_image_mc=40).decide([cre], 2) == "budget"  # 40 + 80
    # the mean of what was reported (10 per image) beats the configured estimate
    assert Budget(50, per_image_mc=99).decide([fin, cre, cre], 1) == "ok"  # 20 + 10 * 3
    assert Budget(49, per_image_mc=99).decide([fin, cre, cre], 1) == "budget"
    # failed prompts count as spent but not in the mean
    failed = ("failed", 500, True, 1)
    assert Budget(600).decide([fin, failed], 1) == "ok"  # 520 + 10


def test_ledger_urls_are_shown_without_password() -> None:
    assert redact_url("postgresql://ann:s3cret@db:5432/x?sslmode=require") == (
        "postgresql://ann:***@db:5432/x?sslmode=require")
    assert redact_url("postgres://db/x?password=s3cret&user=a") == (
        "postgres://db/x?password=***&user=a")


def test_unreachable_ledger_is_one_line_without_password(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RunError) as info:
        open_ledger(f"postgresql://ann:pw-SECRET-9@127.0.0.1:{port}/x", tmp_path)
    assert "pw-SECRET-9" not in str(info.value) and "\n" not in str(info.value)
    assert "cannot open the ledger at postgresql://ann:***@127.0.0.1" in str(info.value)


def test_ledger_errors_lose_the_password_in_every_form() -> None:
    from promptspec.runner.ledger_postgres import _redacted

    url = "postgresql://ann:p%40ss%22w@db/x?password=q%26v&sslmode=require"
    text = ('FATAL: password p@ss"w, p%40ss%22w, "p@ss\\"w", p@ss&quot;w; and q&v'
            " / q%26v for ann")
    shown = _redacted(text, url)
    for secret in ('p@ss"w', "p%40ss%22w", 'p@ss\\"w', "p@ss&quot;w", "q&v", "q%26v"):
        assert secret not in shown
    assert shown.endswith(" for ann")


# -- plan, uploads, output names ---------------------------------------------------------------

def test_plan_counts_and_bounds_memory() -> None:
    reqs = [req("a", i, {"text": "x", "seed": i, "num_images": 2}) for i in range(5)]
    reqs += [req("b", i, {"text": "y", "seed": i}) for i in range(3)]
    plan = make_plan(iter(reqs), max_requests=6)
    assert plan.total == 8 and plan.images == 13 and plan.too_many
    assert len(plan.requests) == 6
    assert plan.per_prompt == {("s.pspec", "a"): [5, 10], ("s.pspec", "b"): [3, 3]}
    assert plan.lines()[-1] == "  total: 8 requests, 13 images"


def test_uploads_outside_the_project_root_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("")
    (root / "in.png").write_bytes(b"png")
    (tmp_path / "out.png").write_bytes(b"png")
    spec = str(root / "s.pspec")
    ok = req("p", 0, {"text": "x", "input_image": {"file_sha256": "a"}},
             files={"input_image": str(root / "in.png")}, spec=spec)
    assert upload_files([ok]) == {ok.id: {"input_image": root / "in.png"}}
    (root / "link.png").symlink_to(tmp_path / "out.png")
    for path in (tmp_path / "out.png", root / "link.png"):
        bad = req("p", 1, {"text": "y", "input_image": {"file_sha256": "b"}},
                  files={"input_image": str(path)}, spec=spec)
        with pytest.raises(RunError, match="outside the project root"):
            upload_files([bad])


@pytest.mark.parametrize(("url", "ctype", "ext"), [
    ("http://x/images/1/1.png", "", "png"), ("http://x/a.JPEG?sig=1", "", "jpg"),
    ("http://x/img", "image/webp", "webp"), ("http://x/img", "", "png"),
])
def test_extension(url: str, ctype: str, ext: str) -> None:
    assert extension(url, ctype) == ext


@pytest.mark.parametrize(("spec", "out"), [
    ("specs/demo.pspec", "runs/demo"), ("a/b.pspec.yaml", "runs/b"), ("c.pspec.yml", "runs/c"),
])
def test_default_out_dir(spec: str, out: str) -> None:
    assert default_out_dir(spec) == Path(out)


def test_token_bucket_spaces_creates_and_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a fake clock that moves only when the bucket sleeps: creates at 20 per second
    start 50 ms apart, and a pause (a 429's Retry-After) holds the next one back."""
    import asyncio

    from promptspec.runner._api import TokenBucket

    clock = [100.0]

    async def sleep(delay: float, result: object = None) -> object:
        clock[0] += delay
        return result

    async def main() -> tuple[list[float], float]:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "time", lambda: clock[0])
        monkeypatch.setattr(asyncio, "sleep", sleep)
        bucket = TokenBucket(20.0)
        starts = []
        for _ in range(5):
            await bucket.take()
            starts.append(clock[0])
        bucket.pause(3.0)
        paused_at = clock[0]
        await bucket.take()
        return starts, clock[0] - paused_at

    starts, paused = asyncio.run(main())
    assert starts == pytest.approx([100.0, 100.05, 100.1, 100.15, 100.2])
    assert paused == pytest.approx(3.0)


def test_progress_is_plain_off_a_terminal_and_under_pre_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from promptspec.runner.progress import Progress, RichProgress, make_progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    plain = make_progress(3, True, io.StringIO())
    assert type(plain) is Progress
    plain.failed("ps_1", "p", "HTTP 422: steps: bad")
    plain.update(force=True)
    assert "failed: p ps_1: HTTP 422: steps: bad" in plain.stream.getvalue()
    assert "0/3 created, 0 finished, 1 failed, 0 retries" in plain.stream.getvalue()
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert type(make_progress(3, True, Tty())) is Progress
    monkeypatch.delenv("PRE_COMMIT")
    rich = make_progress(3, True, Tty())
    assert isinstance(rich, RichProgress)
    rich.close()


def test_options_never_show_the_key() -> None:
    from promptspec.runner._api import ApiConfig
    from promptspec.runner.session import RunOptions

    opts = RunOptions(out_dir=Path("o"), base_url="http://x", key="sk-REPR-SECRET")
    assert "sk-REPR-SECRET" not in repr(opts)
    assert "sk-REPR-SECRET" not in repr(ApiConfig(base_url="http://x", key="sk-REPR-SECRET"))
