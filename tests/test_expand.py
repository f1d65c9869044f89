"""Expansion: exact requests and ids, golden files, both syntaxes, the expand command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptspec import api
from promptspec.cli import cli
from promptspec.request import request_id

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "t"\nversion = "0"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def expand_lines(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["expand", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["contract_example.pspec", "contract_example.pspec.yaml"])
def test_contract_example(name: str, project: Path) -> None:
    shutil.copy(DATA / "conformance" / name, project / name)
    want = [json.loads(x) for x in (DATA / "conformance" / "contract_example.expected.jsonl")
            .read_text().splitlines()]
    got = expand_lines(name)
    assert len(got) == len(want) == 27
    for g, w in zip(got, want, strict=True):
        assert g["id"] == request_id(w["tune_id"], w["params"])  # type: ignore[arg-type]
        assert g["spec"] == name
        for key in ("prompt", "index", "coords", "tune_id", "params"):
            assert g[key] == w[key], key
            assert json.dumps(g[key]) == json.dumps(w[key], sort_keys=key == "params") or (
                key == "params"
            )
        for k, v in w["params"].items():  # type: ignore[attr-defined]
            assert type(g["params"][k]) is type(v), k  # type: ignore[index]
        for k, v in w["coords"].items():  # type: ignore[attr-defined]
            assert type(g["coords"][k]) is type(v), k  # type: ignore[index]


@pytest.mark.parametrize("spec", ["specs/demo.pspec", "specs/portraits.pspec.yaml"])
def test_golden(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Golden expansions of the example specs; regenerate with PROMPTSPEC_REGEN=1."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["expand", spec])
    assert result.exit_code == 0, result.output
    golden = GOLDEN / (Path(spec).name + ".jsonl")
    if os.environ.get("PROMPTSPEC_REGEN"):
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text()


def test_yaml_and_dsl_give_the_same_ids(project: Path) -> None:
    for name in ("contract_example.pspec", "contract_example.pspec.yaml"):
        shutil.copy(DATA / "conformance" / name, project / name)
    dsl = [r.id for r in api.expand(["contract_example.pspec"])]
    yml = [r.id for r in api.expand(["contract_example.pspec.yaml"])]
    assert dsl == yml and len(set(dsl)) == 27


def test_expansion_is_deterministic_across_processes(project: Path) -> None:
    shutil.copy(DATA / "conformance" / "contract_example.pspec", project / "c.pspec")
    (project / "r.pspec").write_text(
        'tune 3\nprompt p {\n  text = "x {{ seed }}"\n  sweep {\n    seed = random(5)\n'
        "    cfg_scale = 0.2..0.8 count 4\n  }\n}\n"
    )
    outs = set()
    for hashseed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        r = subprocess.run([sys.executable, "-m", "promptspec", "expand", "c.pspec", "r.pspec"],
                           capture_output=True, text=True, env=env, check=True)
        outs.add(r.stdout)
    assert len(outs) == 1
    lines = outs.pop().splitlines()
    assert len(lines) == 27 + 20
    assert json.loads(lines[-1])["coords"]["cfg_scale"] == 0.8
    assert {json.loads(x)["coords"]["cfg_scale"] for x in lines[27:]} == {0.2, 0.4, 0.6, 0.8}


def test_null_unsets_strip_and_types(project: Path) -> None:
    (project / "n.pspec").write_text(
        'tune 5\npreset p {\n  scheduler = "euler"\n  steps = 30\n}\n'
        'prompt a : p {\n  text = "  hi {{ prompt }}  "\n  negative_prompt = """\n'
        "    blurry,\n    dark\n    \"\"\"\n  scheduler = null\n  cfg_scale = 7\n"
        "  sweep {\n    steps = [null, 20]\n  }\n}\n"
    )
    got = expand_lines("n.pspec")
    assert [g["params"] for g in got] == [
        {"text": "hi a", "negative_prompt": "blurry,\ndark", "cfg_scale": 7.0},
        {"text": "hi a", "negative_prompt": "blurry,\ndark", "cfg_scale": 7.0, "steps": 20},
    ]
    assert got[0]["coords"] == {"steps": None}


def test_files_are_hashed(project: Path) -> None:
    (project / "refs").mkdir()
    (project / "refs" / "a.png").write_bytes(b"png-bytes")
    (project / "f.pspec").write_text(
        'tune 5\nprompt a {\n  text = "x"\n  controlnet = "pose"\n'
        '  input_image = file("refs/a.png")\n}\n'
    )
    (r,) = api.expand(["f.pspec"])
    import hashlib

    assert r.params["input_image"] == {"file_sha256": hashlib.sha256(b"png-bytes").hexdigest()}
    assert r.files == {"input_image": str(project / "refs" / "a.png")}
    assert r.id == request_id(5, r.params)


def test_templates_read_vars_params_axes_and_prompt(project: Path) -> None:
    (project / "t.pspec").write_text(
        'tune 5\nvars {\n  who = "fox"\n}\nprompt snow {\n  text = "{{ who }} {{ seed }} '
        '{{ steps }} {{ prompt }} {{ mood }}"\n  steps = 20\n  sweep {\n    seed = [1, 2]\n'
        '    mood = ["calm", "wild"]\n  }\n}\n'
    )
    texts = [g["params"]["text"] for g in expand_lines("t.pspec")]  # type: ignore[index]
    assert texts == ["fox 1 20 snow calm", "fox 1 20 snow wild", "fox 2 20 snow calm",
                     "fox 2 20 snow wild"]


def test_formats_and_limit(project: Path) -> None:
    shutil.copy(DATA / "conformance" / "contract_example.pspec", project / "c.pspec")
    runner = CliRunner()
    as_json = runner.invoke(cli, ["expand", "c.pspec", "--format", "json", "--limit", "3"])
    assert as_json.exit_code == 0
    assert [r["index"] for r in json.loads(as_json.stdout)] == [0, 1, 2]
    table = runner.invoke(cli, ["expand", "c.pspec", "--format", "table", "--prompt", "pairs"])
    assert table.exit_code == 0
    assert "seed" in table.stdout and "steps" in table.stdout and "van_gogh" not in table.stdout
    count = runner.invoke(cli, ["expand", "c.pspec", "--count"])
    assert count.stdout == "27\n"
    missing = runner.invoke(cli, ["expand", "c.pspec", "--prompt", "nope"])
    assert missing.exit_code == 2 and "nope" in missing.stderr


def test_count_of_a_huge_sweep_answers_at_once(project: Path) -> None:
    (project / "h.pspec").write_text(
        'tune 5\nprompt h {\n  text = "x {{ seed }} {{ a }} {{ b }} {{ c }}"\n  sweep {\n'
        "    seed = 0..999999\n    a = 1..1000000\n    b = 1..1000000\n    c = 1..10\n  }\n}\n"
    )
    result = CliRunner().invoke(cli, ["expand", "h.pspec", "--count"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{10**19}\n"
    first = CliRunner().invoke(cli, ["expand", "h.pspec", "--limit", "2"])
    assert [json.loads(x)["coords"] for x in first.stdout.splitlines()] == [
        {"seed": 0, "a": 1, "b": 1, "c": 1}, {"seed": 0, "a": 1, "b": 1, "c": 2}]


def test_errors_are_one_line(project: Path) -> None:
    (project / "bad.pspec").write_text("tune 5\nprompt a {\n  text = \n}\n")
    r = subprocess.run([sys.executable, "-m", "promptspec", "expand", "bad.pspec"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.startswith("bad.pspec:3:") and "PS001" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    r = subprocess.run([sys.executable, "-m", "promptspec", "expand", "missing.pspec"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "missing.pspec" in r.stderr and "Traceback" not in r.stderr


def test_encoded_parts_agree_with_plain_encoding(project: Path) -> None:
    """Expansion assembles each request's JSON from parts encoded once per axis value; every
    request must read as if encoded whole: zips, a tune axis, an unset value, files on an
    axis, a template reading another template, an axis in the middle."""
    (project / "refs").mkdir()
    for name in ("a.png", "b.png"):
        (project / "refs" / name).write_bytes(name.encode())
    (project / "m.pspec").write_text(
        'tune 5\nvars {\n  who = "fox"\n}\nprompt m {\n'
        '  text = "{{ who }} {{ mood }} {{ seed }}"\n'
        '  negative_prompt = "not {{ text }}, é"\n  controlnet = "pose"\n'
        '  sweep {\n    tune = [5, 6]\n    steps = [null, 20]\n'
        '    input_image = [file("refs/a.png"), file("refs/b.png")]\n'
        '    seed = 1..3\n  }\n'
        '  zip {\n    mood = ["calm", "wild"]\n    cfg_scale = [5, 7.5]\n  }\n}\n')
    requests = list(api.expand(["m.pspec"]))
    assert len(requests) == 2 * 2 * 2 * 3 * 2
    from promptspec.output.requests import jsonl_line
    from promptspec.request import canonical_json

    for i, r in enumerate(requests):
        assert r.index == i
        assert r.params_json == canonical_json(r.params)
        assert r.id == request_id(r.tune_id, r.params)
        line = json.loads(jsonl_line(r))
        assert line["coords"] == r.coords and list(line["coords"]) == list(r.coords)
        assert r.coords_json == json.dumps(r.coords, ensure_ascii=False)
        assert r.params["text"] == f"fox {r.coords['mood']} {r.coords['seed']}"
        assert r.params["negative_prompt"] == f"not {r.params['text']}, é"
        assert ("steps" in r.params) == (r.coords["steps"] is not None)
        assert r.files["input_image"].endswith(r.coords["input_image"])  # type: ignore[arg-type]
    first = requests[0]
    assert first.coords == {"tune": 5, "steps": None, "input_image": "refs/a.png", "seed": 1,
                            "mood": "calm", "cfg_scale": 5.0}
    assert first.tune_id == 5 and requests[-1].tune_id == 6
    assert len({r.id for r in requests}) == len(requests)
