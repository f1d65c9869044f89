"""Expansion: exact requests and ids, golden files, both syntaxes, the expand command."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ROOT, expand_lines, invoke, one_line_error, write

from promptspec import api
from promptspec.cli import cli
from promptspec.request import request_id

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"


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
        # coords keep the spec's axis order; params come out in canonical (sorted) order
        assert list(g["coords"]) == list(w["coords"])  # type: ignore[call-overload]
        assert list(g["params"]) == sorted(w["params"])  # type: ignore[call-overload]
        for k, v in w["params"].items():  # type: ignore[attr-defined]
            assert type(g["params"][k]) is type(v), k  # type: ignore[index]
        for k, v in w["coords"].items():  # type: ignore[attr-defined]
            assert type(g["coords"][k]) is type(v), k  # type: ignore[index]


@pytest.mark.parametrize("spec", ["specs/demo.pspec", "specs/portraits.pspec.yaml"])
def test_golden(spec: str, monkeypatch: pytest.MonkeyPatch, update_golden: bool) -> None:
    """Golden expansions of the example specs; `pytest --update-golden` rewrites them
    (and then checks nothing: a rewritten file proves nothing in the run that wrote it)."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["expand", spec])
    assert result.exit_code == 0, result.output
    golden = GOLDEN / (Path(spec).name + ".jsonl")
    if update_golden:
        golden.write_text(result.stdout)
        pytest.skip(f"rewrote {golden.name}")
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
    outs = {invoke("expand", "c.pspec", "r.pspec").stdout}  # this process's own hash seed
    for hashseed in ("1", "2"):
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
    line = one_line_error(invoke("expand", "bad.pspec"), 1)
    assert line.startswith("bad.pspec:3:") and "PS001" in line
    line = one_line_error(invoke("expand", "missing.pspec"), 2)
    assert "missing.pspec" in line


def canonical_id(obj: dict[str, Any]) -> str:
    body = json.dumps({"tune_id": obj["tune_id"], "params": obj["params"]}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return "ps_" + hashlib.sha256(body.encode()).hexdigest()[:16]


def test_merge_order_templates_null_and_types(project: Path) -> None:
    write(project, {
        "lib/common.pspec.yaml": """
            vars:
              a: imported
              b: imported
            presets:
              base:
                cfg_scale: 3
                vars: {c: base}
            """,
        "m.pspec": """
            import "lib/common.pspec.yaml"
            tune 5
            vars {
              a = "file"
              d = "file"
            }
            preset p1 : base {
              cfg_scale = 4
              vars { c = "p1" }
            }
            preset p2 {
              cfg_scale = 6
              steps = 20
              seed = 3
            }
            prompt x : p1, p2 {
              text = "{{ a }} {{ b }} {{ c }} {{ d }} {{ prompt }} {{ cfg_scale }} {{ steps }}"
              negative_prompt = "  neg {{ steps }}  "
              seed = null
              steps = 10
              super_resolution = true
              vars { d = "prompt" }
              sweep {
                d = ["s1"]
              }
            }
            """,
    })
    [req] = expand_lines("m.pspec")
    assert req["params"] == {"text": "imported imported p1 s1 x 6.0 10",
                             "negative_prompt": "neg 10", "cfg_scale": 6.0, "steps": 10,
                             "super_resolution": True}
    assert isinstance(req["params"]["cfg_scale"], float)
    assert req["coords"] == {"d": "s1"}
    assert (req["spec"], req["prompt"], req["index"], req["tune_id"]) == ("m.pspec", "x", 0, 5)
    assert req["id"] == canonical_id(req)


def test_dsl_strings_escapes_and_dedent(project: Path) -> None:
    write(project, {"s.pspec": '''
        tune 1
        prompt a {
          text = "a\\"b\\\\c\\nd\\te"  # a comment
        }
        prompt b {
          text = """
            x
              y

            z
            """
        }
        prompt c {
          text = """p
             q
             """
        }
        '''})
    texts = [r["params"]["text"] for r in expand_lines("s.pspec")]
    assert texts == ['a"b\\c\nd\te', "x\n  y\n\nz", "p\n     q"]


def test_lists_trailing_commas_ranges_and_order(project: Path) -> None:
    write(project, {"r.pspec": """
        tune 1
        prompt p {
          text = "x"
          sweep {
            steps = [
              1,
              2,
            ]
            cfg_scale = 5..6 step 0.5
          }
          zip {
            denoising_strength = 0.2..0.8 count 4
            seed = 1..4
          }
        }
        """})
    reqs = expand_lines("r.pspec")
    coords = [tuple(r["coords"].values()) for r in reqs]
    assert list(reqs[0]["coords"]) == ["steps", "cfg_scale", "denoising_strength", "seed"]
    assert coords[:5] == [(1, 5.0, 0.2, 1), (1, 5.0, 0.4, 2), (1, 5.0, 0.6, 3), (1, 5.0, 0.8, 4),
                          (1, 5.5, 0.2, 1)]
    assert len(reqs) == 2 * 3 * 4
    assert [r["index"] for r in reqs] == list(range(24))
    assert {r["coords"]["cfg_scale"] for r in reqs} == {5.0, 5.5, 6.0}


def test_stepped_range_keeps_written_decimals(project: Path) -> None:
    write(project, {"r.pspec.yaml": """
        tune: 1
        prompts:
          p:
            text: x
            sweep:
              denoising_strength: "0.1..0.7 step 0.1"
        """})
    values = [r["params"]["denoising_strength"] for r in expand_lines("r.pspec.yaml")]
    assert values == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


def test_random_is_in_range_distinct_and_deterministic(project: Path) -> None:
    write(project, {"r.pspec": """
        tune 1
        prompt p {
          text = "x"
          sweep {
            steps = random(6)
            num_images = random(3, 42)
          }
        }
        """})
    first = expand_lines("r.pspec")
    assert first == expand_lines("r.pspec")
    steps = {r["coords"]["steps"] for r in first}
    images = {r["coords"]["num_images"] for r in first}
    assert len(steps) == 6 and all(isinstance(s, int) and 0 <= s <= 50 for s in steps)
    assert len(images) == 3 and all(1 <= n <= 8 for n in images)


def test_same_request_same_id_across_syntaxes_and_files(project: Path) -> None:
    write(project, {
        "refs/pose.png": b"PNGDATA",
        "f.pspec": """
            tune 1
            prompt p {
              text = "x"
              input_image = file("refs/pose.png")
              denoising_strength = 0.5
            }
            """,
        "f.pspec.yaml": """
            tune: 1
            prompts:
              p:
                text: "x"
                input_image: {file: refs/pose.png}
                denoising_strength: 0.5
            """,
    })
    [a] = expand_lines("f.pspec")
    [b] = expand_lines("f.pspec.yaml")
    assert a["params"]["input_image"] == {"file_sha256": hashlib.sha256(b"PNGDATA").hexdigest()}
    assert a["id"] == b["id"] == canonical_id(a)


def test_expand_of_a_failing_spec_keeps_stdout_empty(project: Path) -> None:
    write(project, {"a.pspec": 'tune 1\nprompt p {\n  text = "x"\n  steps = 99\n}\n'})
    r = invoke("expand", "a.pspec")
    assert r.exit_code == 1 and r.stdout == ""
    assert "a.pspec:4:11: PS103" in r.stderr
    clean = invoke("lint", "a.pspec", "--format", "json", "--select",
                   "PS001")
    assert (clean.exit_code, clean.stdout.strip()) == (0, "[]")


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
