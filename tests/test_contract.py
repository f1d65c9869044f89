"""Black-box checks of CONTRACT.md sections 1-6: the CLI's codes, positions, values, ids and
output shapes, one contract statement per case."""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from promptspec.cli import cli

CONTRACT_RULES = [
    ("PS001", "syntax-error", "error"), ("PS002", "duplicate-key", "error"),
    ("PS003", "import-error", "error"), ("PS004", "unknown-preset", "error"),
    ("PS005", "preset-cycle", "error"), ("PS006", "duplicate-name", "error"),
    ("PS007", "invalid-structure", "error"), ("PS101", "unknown-parameter", "error"),
    ("PS102", "wrong-type", "error"), ("PS103", "out-of-range", "error"),
    ("PS104", "invalid-choice", "error"), ("PS105", "not-multiple-of-8", "error"),
    ("PS106", "missing-text", "error"), ("PS107", "invalid-url", "error"),
    ("PS108", "missing-tune", "error"), ("PS109", "file-not-found", "error"),
    ("PS201", "inpaint-faces-requires-super-resolution", "error"),
    ("PS202", "hires-fix-requires-super-resolution", "error"),
    ("PS203", "controlnet-requires-input-image", "error"),
    ("PS204", "mask-requires-input-image", "error"),
    ("PS205", "lora-scale-not-allowed", "error"), ("PS206", "conflicting-inputs", "error"),
    ("PS207", "img2img-parameter-without-input", "warning"),
    ("PS208", "controlnet-parameter-without-controlnet", "warning"),
    ("PS209", "aspect-ratio-with-size", "warning"),
    ("PS301", "template-syntax-error", "error"), ("PS302", "undefined-variable", "error"),
    ("PS303", "unused-variable", "warning"), ("PS304", "weights-without-lpw", "warning"),
    ("PS305", "unbalanced-brackets", "warning"), ("PS306", "empty-text", "error"),
    ("PS401", "zip-length-mismatch", "error"), ("PS402", "empty-axis", "error"),
    ("PS403", "sweep-too-large", "warning"), ("PS404", "duplicate-request", "warning"),
    ("PS405", "axis-overrides-field", "warning"), ("PS406", "unknown-axis", "error"),
    ("PS407", "invalid-range", "error"), ("PS408", "stale-lock", "error"),
]


def invoke(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("ASTRIA_BASE_URL", raising=False)
    return CliRunner().invoke(cli, list(args))


def write(root: Path, files: dict[str, str | bytes], pyproject: str = "") -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n' + pyproject)
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def findings(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> list[tuple[int, int, str]]:
    r = invoke(root, monkeypatch, "lint", "--format", "json", *args)
    assert r.exit_code in (0, 1), r.output
    return [(f["line"], f["column"], f["code"]) for f in json.loads(r.stdout)]


def expand(root: Path, monkeypatch: pytest.MonkeyPatch, spec: str) -> list[dict[str, Any]]:
    r = invoke(root, monkeypatch, "expand", spec)
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.stdout.splitlines()]


# --- where a finding points ------------------------------------------------------------------

POSITIONS: list[tuple[str, str, str | bytes, list[tuple[int, int, str]]]] = [
    ("sweep items and ranges", "a.pspec", """
        tune 1
        prompt p {
          text = "a"
          sweep {
            num_images = [1, 9, 4]
            cfg_scale = 10..20
            steps = [10, 7.5]
          }
        }
        """, [(5, 22, "PS103"), (6, 17, "PS103"), (7, 18, "PS102")]),
    ("two-field rules at the prompt's field, else its extends", "a.pspec", """
        tune 1
        preset a {
          inpaint_faces = true
        }
        prompt p : a {
          text = "x"
        }
        prompt q {
          text = "y"
          inpaint_faces = true
        }
        """, [(5, 12, "PS201"), (10, 3, "PS201")]),
    ("whole-prompt rules at the name, zip mismatch at the zip", "a.pspec", """
        prompt p {
          zip {
            seed = [1, 2, 3]
            steps = [20, 30]
          }
        }
        """, [(1, 8, "PS106"), (1, 8, "PS108"), (2, 3, "PS401")]),
    ("PS403 and PS404 at the prompt's name", "a.pspec", """
        tune 1
        prompt q {
          text = "x"
          sweep {
            seed = 1..2000
          }
        }
        prompt r {
          text = "y"
          sweep {
            seed = [1, 1]
          }
        }
        """, [(2, 8, "PS403"), (8, 8, "PS404")]),
    ("template error on its line inside a DSL multi-line string", "a.pspec", '''
        tune 1
        prompt p {
          text = """
            line one
            {{ nope }}
            """
        }
        ''', [(5, 5, "PS302")]),
    ("template error on its line inside a YAML block scalar", "a.pspec.yaml", """
        tune: 1
        prompts:
          p:
            text: |
              line one
              {{ nope }}
        """, [(6, 7, "PS302")]),
    ("PS002 at the later key; PS007 for version and unknown keys", "a.pspec.yaml", """
        version: 2
        tune: 1
        foo: 1
        prompts:
          p:
            text: x
            cfg_scale: 7
            cfg_scale: 8
        """, [(1, 10, "PS007"), (3, 1, "PS007"), (8, 5, "PS002")]),
    ("PS001 alone, at the first bad place", "a.pspec", """
        tune 1
        vars {
          unused = 1
        }
        prompt p {
          text = "x"
          bogus = 1
        }
        prompt q {
        """, [(10, 1, "PS001")]),
    ("not decoding is PS001 at the bad byte", "a.pspec",
     b'tune 1\nprompt p {\n  text = "x\xff"\n}\n', [(3, 12, "PS001")]),
    ("a leading BOM is allowed", "a.pspec",
     b'\xef\xbb\xbftune 1\nprompt p {\n  text = "x"\n}\n', []),
    ("w and h: a positive non-multiple of 8 is PS105, zero and below PS103", "a.pspec", """
        tune 1
        prompt p {
          text = "x"
          w = 5
          h = 0
        }
        prompt q {
          text = "x"
          sweep {
            w = [4, 1020, -8]
          }
        }
        """, [(4, 7, "PS105"), (5, 7, "PS103"), (10, 10, "PS105"), (10, 13, "PS105"),
              (10, 19, "PS103")]),
    ("structure and sweep rules", "a.pspec", """
        tune 1
        vars {
          unused = 1
        }
        preset base {
          steps = 1
        }
        preset c1 : c2 {
        }
        preset c2 : c1 {
        }
        prompt p : bsae {
          text = "x"
          callback = "ftp://x"
          sweep {
            seed = []
            cfg_scale = 1..5 step 0
            steps = 1..5 step -1
            num_images = "a".."b"
            zzz = [1]
          }
        }
        prompt p {
          text = "{% if %}"
        }
        prompt e {
          text = "  {{ '' }} "
          steps = 1
          steps = 2
        }
        """, [(3, 3, "PS303"), (10, 13, "PS005"), (12, 12, "PS004"), (14, 14, "PS107"),
              (16, 12, "PS402"), (17, 27, "PS407"), (18, 23, "PS407"), (19, 18, "PS407"),
              (20, 5, "PS406"), (23, 8, "PS006"), (24, 10, "PS301"), (27, 10, "PS306"),
              (29, 3, "PS002")]),
    ("text checks", "a.pspec", """
        tune 1
        prompt p {
          text = "a (word:1.3) b"
        }
        prompt q {
          text = "a (word:1.3) {{ prompt }}"
          use_lpw = true
        }
        prompt r {
          text = "x [y"
        }
        """, [(3, 10, "PS304"), (10, 10, "PS305")]),
]


@pytest.mark.parametrize(("name", "path", "source", "expected"), POSITIONS,
                         ids=[c[0] for c in POSITIONS])
def test_finding_positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, path: str,
                           source: str | bytes, expected: list[tuple[int, int, str]]) -> None:
    write(tmp_path, {path: source})
    assert sorted(findings(tmp_path, monkeypatch, path)) == sorted(expected)


def test_import_errors_and_duplicate_names_across_imports(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {
        "lib/common.pspec.yaml": "presets:\n  base:\n    cfg_scale: 3\n",
        "a.pspec": """
            import "lib/common.pspec.yaml"
            import "missing.pspec"
            import "../outside.pspec"
            tune 1
            preset base {
              steps = 1
            }
            """,
    })
    (tmp_path.parent / "outside.pspec").write_text("tune 1\n")
    r = invoke(tmp_path, monkeypatch, "lint", "a.pspec")
    assert [ln.split(" ")[:2] for ln in r.stdout.splitlines()] == [
        ["a.pspec:2:8:", "PS003"], ["a.pspec:3:8:", "PS003"], ["a.pspec:5:8:", "PS006"]]
    assert "lib/common.pspec.yaml:2:3" in r.stdout.splitlines()[2]


# --- values, resolution, ids -----------------------------------------------------------------

def canonical_id(obj: dict[str, Any]) -> str:
    body = json.dumps({"tune_id": obj["tune_id"], "params": obj["params"]}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return "ps_" + hashlib.sha256(body.encode()).hexdigest()[:16]


def test_merge_order_templates_null_and_types(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {
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
    [req] = expand(tmp_path, monkeypatch, "m.pspec")
    assert req["params"] == {"text": "imported imported p1 s1 x 6.0 10",
                             "negative_prompt": "neg 10", "cfg_scale": 6.0, "steps": 10,
                             "super_resolution": True}
    assert isinstance(req["params"]["cfg_scale"], float)
    assert req["coords"] == {"d": "s1"}
    assert (req["spec"], req["prompt"], req["index"], req["tune_id"]) == ("m.pspec", "x", 0, 5)
    assert req["id"] == canonical_id(req)


def test_dsl_strings_escapes_and_dedent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"s.pspec": '''
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
    texts = [r["params"]["text"] for r in expand(tmp_path, monkeypatch, "s.pspec")]
    assert texts == ['a"b\\c\nd\te', "x\n  y\n\nz", "p\n     q"]


def test_lists_trailing_commas_ranges_and_order(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"r.pspec": """
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
    reqs = expand(tmp_path, monkeypatch, "r.pspec")
    coords = [tuple(r["coords"].values()) for r in reqs]
    assert list(reqs[0]["coords"]) == ["steps", "cfg_scale", "denoising_strength", "seed"]
    assert coords[:5] == [(1, 5.0, 0.2, 1), (1, 5.0, 0.4, 2), (1, 5.0, 0.6, 3), (1, 5.0, 0.8, 4),
                          (1, 5.5, 0.2, 1)]
    assert len(reqs) == 2 * 3 * 4
    assert [r["index"] for r in reqs] == list(range(24))
    assert {r["coords"]["cfg_scale"] for r in reqs} == {5.0, 5.5, 6.0}


def test_stepped_range_keeps_written_decimals(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"r.pspec.yaml": """
        tune: 1
        prompts:
          p:
            text: x
            sweep:
              denoising_strength: "0.1..0.7 step 0.1"
        """})
    values = [r["params"]["denoising_strength"] for r in expand(tmp_path, monkeypatch,
                                                                "r.pspec.yaml")]
    assert values == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


def test_random_is_in_range_distinct_and_deterministic(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"r.pspec": """
        tune 1
        prompt p {
          text = "x"
          sweep {
            steps = random(6)
            num_images = random(3, 42)
          }
        }
        """})
    first = expand(tmp_path, monkeypatch, "r.pspec")
    assert first == expand(tmp_path, monkeypatch, "r.pspec")
    steps = {r["coords"]["steps"] for r in first}
    images = {r["coords"]["num_images"] for r in first}
    assert len(steps) == 6 and all(isinstance(s, int) and 0 <= s <= 50 for s in steps)
    assert len(images) == 3 and all(1 <= n <= 8 for n in images)


def test_same_request_same_id_across_syntaxes_and_files(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {
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
    [a] = expand(tmp_path, monkeypatch, "f.pspec")
    [b] = expand(tmp_path, monkeypatch, "f.pspec.yaml")
    assert a["params"]["input_image"] == {"file_sha256": hashlib.sha256(b"PNGDATA").hexdigest()}
    assert a["id"] == b["id"] == canonical_id(a)


# --- command line ----------------------------------------------------------------------------

FINDINGS_DSL = """
    tune 1
    preset sq {
      aspect_ratio = "1:1"
    }
    prompt p : sq {
      text = "x"
      w = 512
      num_images = 9
    }
    prompt q {
      text = "x"
      steps = 99
    }
    """


def test_text_output_summary_and_exit_codes(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a.pspec": FINDINGS_DSL})
    r = invoke(tmp_path, monkeypatch, "lint", "a.pspec")
    assert r.exit_code == 1
    assert [re.match(r"a\.pspec:(\d+):(\d+): (PS\d{3}) ", ln).groups()  # type: ignore[union-attr]
            for ln in r.stdout.splitlines()] == [("7", "3", "PS209"), ("8", "16", "PS103"),
                                                 ("12", "11", "PS103")]
    assert r.stderr.strip() == "Found 2 errors, 1 warning."
    assert invoke(tmp_path, monkeypatch, "lint", "a.pspec", "--exit-zero").exit_code == 0
    only_warning = invoke(tmp_path, monkeypatch, "lint", "a.pspec", "--select", "PS209")
    assert only_warning.exit_code == 0 and only_warning.stdout.count("\n") == 1
    strict = invoke(tmp_path, monkeypatch, "lint", "a.pspec", "--select", "PS209", "--strict")
    assert strict.exit_code == 1
    clean = invoke(tmp_path, monkeypatch, "lint", "a.pspec", "--ignore", "PS103,PS209")
    assert clean.exit_code == 0 and clean.stdout == ""


def test_json_github_and_sarif_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a,b%.pspec": FINDINGS_DSL})
    data = json.loads(invoke(tmp_path, monkeypatch, "lint", "--format", "json").stdout)
    assert [set(f) for f in data] == [{"path", "line", "column", "end_line", "end_column", "code",
                                       "name", "severity", "message", "prompt", "fixable"}] * 3
    assert [(f["code"], f["name"], f["severity"], f["prompt"]) for f in data] == [
        ("PS209", "aspect-ratio-with-size", "warning", "p"),
        ("PS103", "out-of-range", "error", "p"), ("PS103", "out-of-range", "error", "q")]
    gh = invoke(tmp_path, monkeypatch, "lint", "--format", "github").stdout.splitlines()
    assert gh[0].startswith("::warning file=a%2Cb%25.pspec,line=7,col=3,title=PS209::")
    assert gh[1].startswith("::error file=a%2Cb%25.pspec,line=8,col=16,title=PS103::")
    sarif = json.loads(invoke(tmp_path, monkeypatch, "lint", "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert [(x["ruleId"], x["level"]) for x in results] == [
        ("PS209", "warning"), ("PS103", "error"), ("PS103", "error")]
    region = results[1]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (8, 16)


def test_suppression_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a.pspec": """
        tune 1
        prompt p {
          text = "x"
          aspect_ratio = "2:3"  # promptspec: ignore[PS209]
          w = 512
          steps = 99  # promptspec: ignore[PS303,PS103]
          seed = -1  # promptspec: ignore
          num_images = 9  # promptspec: ignore[PS209]
        }
        """})
    assert findings(tmp_path, monkeypatch, "a.pspec") == [(8, 16, "PS103")]


@pytest.mark.parametrize("setting", [
    'select = "PS1"', "bogus = 1", 'max-requests = "x"', "max-requests = 0",
    'ignore = ["PS999"]', "base-url = 3"])
def test_invalid_configuration_is_exit_2_naming_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    write(tmp_path, {"a.pspec": 'tune 1\nprompt p {\n  text = "x"\n}\n'},
          f"[tool.promptspec]\n{setting}\n")
    r = invoke(tmp_path, monkeypatch, "lint", "a.pspec")
    assert r.exit_code == 2
    assert r.stdout == ""
    [line] = r.stderr.splitlines()
    assert "pyproject.toml" in line and "Traceback" not in line


def test_configuration_keys_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a.pspec": FINDINGS_DSL, "b.pspec": FINDINGS_DSL},
          '[tool.promptspec]\nselect = ["PS1", "PS2"]\n'
          'per-file-ignores = {"b.pspec" = ["PS103"]}\n')
    assert [f[2] for f in findings(tmp_path, monkeypatch)] == ["PS209", "PS103", "PS103", "PS209"]
    assert [f[2] for f in findings(tmp_path, monkeypatch, "--select", "PS103")] == [
        "PS103", "PS103"]
    write(tmp_path, {"c.pspec": """
        tune 1
        prompt p {
          text = "x"
          sweep {
            seed = 1..11
          }
        }
        """}, "[tool.promptspec]\nmax-requests = 10\n")
    assert findings(tmp_path, monkeypatch, "c.pspec") == [(2, 8, "PS403")]


def test_unopenable_path_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {})
    r = invoke(tmp_path, monkeypatch, "lint", "missing.pspec")
    assert r.exit_code == 2 and r.stdout == "" and "missing.pspec" in r.stderr


def test_discovery_skips_gitignored_and_hidden(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    bad = "tune 1\nprompt p {\n  text = \"x\"\n  w = 12\n}\n"
    write(tmp_path, {".gitignore": "ign/\n", ".hidden/a.pspec": bad, "ign/b.pspec": bad,
                     "sub/c.pspec": bad, "d.pspec.yml": "tune: 1\nprompts:\n  p:\n    w: 12\n",
                     "e.pspec.yaml": bad.replace("w = 12", "")})
    (tmp_path / ".git").mkdir()
    paths = {f["path"] for f in json.loads(invoke(tmp_path, monkeypatch, "lint", "--format",
                                             "json").stdout)}
    assert paths == {"d.pspec.yml", "e.pspec.yaml", "sub/c.pspec"}


def test_rules_json_shape_and_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = invoke(tmp_path, monkeypatch, "rules", "--format", "json")
    data = json.loads(r.stdout)
    assert [(x["code"], x["name"], x["severity"]) for x in data] == CONTRACT_RULES
    assert all(list(x) == ["code", "name", "severity", "summary", "explanation", "fixable"]
               for x in data)
    assert invoke(tmp_path, monkeypatch, "rules", "PS999").exit_code == 2


def test_schema_is_draft_07(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = invoke(tmp_path, monkeypatch, "schema")
    assert json.loads(r.stdout)["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_expand_curl_quotes_any_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shlex

    text = "it's $HOME `ls` \"q\"\nline2"
    write(tmp_path, {"c.pspec": """
        tune 1
        prompt p {
          text = "it's $HOME `ls` \\"q\\"\\nline2"
          negative_prompt = "<bad"
          super_resolution = true
        }
        """})
    r = invoke(tmp_path, monkeypatch, "expand", "c.pspec", "--format", "curl")
    words = shlex.split(r.stdout.replace("\\\n", " "))
    assert words[:6] == ["curl", "-X", "POST", "-H", "Authorization: Bearer $ASTRIA_API_KEY",
                         "https://api.astria.ai/tunes/1/prompts"]
    assert words[6:] == ["-F", f"prompt[text]={text}", "--form-string",
                         "prompt[negative_prompt]=<bad", "-F", "prompt[super_resolution]=true"]


def test_two_field_rules_in_yaml_point_at_extends_items_and_fix_case(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"y.pspec.yaml": """
        tune: 1
        vars:
          who: a
          url: "ftp://x"
        presets:
          sq:
            aspect_ratio: "1:1"
            controlnet_conditioning_scale: 0.5
          sized:
            w: 512
        prompts:
          p:
            extends: [sq, sized]
            text: "{{ who }}"
            controlnet_txt2img: true
            sweep:
              who: [b, c]
          q:
            extends: sq
            text: "x"
            callback: "{{ url }}"
            scheduler: Euler_a
            backend_version: 0
        """})
    assert findings(tmp_path, monkeypatch, "y.pspec.yaml") == [
        (13, 15, "PS208"), (13, 15, "PS209"), (15, 5, "PS208"), (19, 14, "PS208"),
        (21, 15, "PS107"), (22, 16, "PS104")]
    r = invoke(tmp_path, monkeypatch, "lint", "y.pspec.yaml", "--fix")
    assert "scheduler: euler_a\n" in (tmp_path / "y.pspec.yaml").read_text()
    assert "PS104" not in r.stdout


def test_imports_cross_syntax_cycles_and_imported_prompts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {
        "cyc/a.pspec": 'import "b.pspec.yaml"\ntune 1\nprompt a {\n  text = "a"\n}\n',
        "cyc/b.pspec.yaml": "imports: [a.pspec]\ntune: 1\nprompts:\n  b:\n    text: b\n",
        "lib.pspec.yaml": "vars:\n  v: lib\npresets:\n  s:\n    steps: 3\n"
                          "prompts:\n  own:\n    tune: 1\n    text: own\n",
        "main.pspec": 'import "lib.pspec.yaml"\ntune 2\nprompt m : s {\n  text = "{{ v }}"\n}\n',
    })
    assert findings(tmp_path, monkeypatch, "cyc") == [(1, 8, "PS003"), (1, 11, "PS003")]
    reqs = expand(tmp_path, monkeypatch, "main.pspec")
    assert [(r["prompt"], r["tune_id"], r["params"]) for r in reqs] == [
        ("m", 2, {"steps": 3, "text": "lib"})]


def test_fmt_check_and_convert_keep_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"u.pspec": 'tune   1\nprompt p{\ntext="x {{ seed }}" # keep\n'
                                'sweep {\nseed = 1..3\n}\n}\n'})
    assert invoke(tmp_path, monkeypatch, "fmt", "u.pspec", "--check").exit_code == 1
    assert invoke(tmp_path, monkeypatch, "fmt", "u.pspec").exit_code == 0
    once = (tmp_path / "u.pspec").read_text()
    assert "# keep" in once
    assert invoke(tmp_path, monkeypatch, "fmt", "u.pspec", "--check").exit_code == 0
    r = invoke(tmp_path, monkeypatch, "convert", "u.pspec", "--to", "yaml", "-o", "u.pspec.yaml")
    assert r.exit_code == 0
    ids = [x["id"] for x in expand(tmp_path, monkeypatch, "u.pspec")]
    assert len(ids) == 3
    assert ids == [x["id"] for x in expand(tmp_path, monkeypatch, "u.pspec.yaml")]


def test_expand_of_a_failing_spec_keeps_stdout_empty(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a.pspec": FINDINGS_DSL})
    r = invoke(tmp_path, monkeypatch, "expand", "a.pspec")
    assert r.exit_code == 1 and r.stdout == ""
    assert "a.pspec:8:16: PS103" in r.stderr
    clean = invoke(tmp_path, monkeypatch, "lint", "a.pspec", "--format", "json", "--select",
                   "PS001")
    assert (clean.exit_code, clean.stdout.strip()) == (0, "[]")
