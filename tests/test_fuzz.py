"""Fuzzing every command with generated and mutated specs, in both syntaxes.

Specs are drawn from the language's shape (vars, presets with `extends`, prompts with
parameters, templates, sweeps and zips; values valid and invalid), written as DSL and as
YAML, and then mutated (truncated, bytes flipped, huge numbers and deep nesting spliced
in). For every input: no traceback and no internal error from any command, each example
within a deadline, `lint` clean implies `expand` succeeds, `fmt` is idempotent and keeps
every request id, and a `convert` round trip keeps every request id.

The CI profile runs a bounded number of examples, derandomised (the same inputs every run).
`PROMPTSPEC_FUZZ=long` (or `pytest --hypothesis-profile`-free: just the variable) runs many
more with random seeds:

    PROMPTSPEC_FUZZ=long python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from promptspec.cli import cli

PROFILES = {
    "ci": settings(max_examples=25, derandomize=True, deadline=timedelta(seconds=5),
                   suppress_health_check=[HealthCheck.too_slow], database=None),
    "long": settings(max_examples=1500, deadline=timedelta(seconds=10),
                     suppress_health_check=[HealthCheck.too_slow], database=None),
}
FUZZ = PROFILES[os.environ.get("PROMPTSPEC_FUZZ", "ci")]

NAMES = st.sampled_from(["a", "b", "base", "style_1", "x-y", "subject", "mood", "n"])
WORDS = st.sampled_from(["a fox", "portrait", "(cat:1.3)", "[x]", "é ü", "\"q\"", "$HOME",
                         "\\", "", "  ", "{", "}", "#", "'"])
NUMBERS = st.one_of(st.integers(-10, 100), st.sampled_from([0, 1, 7, 8, 2**32, -1]),
                    st.floats(-20, 20, allow_nan=False).map(lambda f: round(f, 2)))
SCALARS = st.one_of(NUMBERS, st.booleans(), WORDS, st.none())
PARAMS = {
    "seed": st.one_of(st.integers(-1, 2**32 + 1), WORDS),
    "steps": st.one_of(st.integers(-1, 60), st.floats(0, 50).map(lambda f: round(f, 1))),
    "cfg_scale": st.one_of(st.floats(-1, 16).map(lambda f: round(f, 2)), st.integers(0, 15)),
    "num_images": st.integers(0, 9),
    "w": st.sampled_from([512, 513, 768, 0]),
    "aspect_ratio": st.sampled_from(["1:1", "2:3", "16:9", "bad"]),
    "super_resolution": st.one_of(st.booleans(), st.just("yes")),
    "inpaint_faces": st.booleans(),
    "negative_prompt": WORDS,
    "stepz": st.integers(0, 3),
}
RANGES = st.one_of(
    st.tuples(st.integers(-3, 5), st.integers(-3, 12)).map(lambda t: f"{t[0]}..{t[1]}"),
    st.tuples(st.integers(0, 5), st.integers(0, 9), st.sampled_from(["0.5", "2", "0", "-1"]))
    .map(lambda t: f"{t[0]}..{t[1]} step {t[2]}"),
    st.tuples(st.integers(0, 5), st.integers(0, 9), st.integers(0, 4))
    .map(lambda t: f"{t[0]}..{t[1]} count {t[2]}"),
    st.integers(0, 6).map(lambda n: f"random({n})"),
)
TEMPLATE_PARTS = st.sampled_from([
    "a painting of ", "{{ subject }}", "{{ seed }}", "{{ mood|upper }}", "{{ n + 1 }}",
    "{% if n %}yes{% else %}no{% endif %}", "{{ prompt }}", "{{ undefined_name }}",
    "{% for i in range(3) %}{{ i }}{% endfor %}", "{{ 2 ** 20 }}", "{{ 'ab' * 3 }}",
    "{{", "{#", "(word:1.2)", " ", "{{ x.__class__ }}", "{{ cfg_scale }}",
])
TEMPLATES = st.lists(TEMPLATE_PARTS, min_size=0, max_size=5).map("".join)


@st.composite
def axis(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(["seed", "steps", "cfg_scale", "mood", "n", "num_images",
                                 "aspect_ratio", "text"]))
    if draw(st.booleans()):
        return name, ("range", draw(RANGES))
    return name, ("list", draw(st.lists(SCALARS, min_size=0, max_size=4)))


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    """A spec as plain data: what both writers below turn into text."""
    presets = draw(st.dictionaries(NAMES, st.tuples(
        st.lists(NAMES, max_size=2),
        st.dictionaries(st.sampled_from(sorted(PARAMS)), SCALARS, max_size=3),
    ), max_size=3))
    prompts = draw(st.dictionaries(NAMES, st.fixed_dictionaries({
        "extends": st.lists(NAMES, max_size=2),
        "text": st.one_of(TEMPLATES, st.none()),
        "params": st.dictionaries(st.sampled_from(sorted(PARAMS)), st.just(None), max_size=4),
        "vars": st.dictionaries(NAMES, SCALARS, max_size=2),
        "sweep": st.lists(axis(), max_size=3),
        "zip": st.lists(axis(), max_size=2),
    }), min_size=1, max_size=3))
    for body in prompts.values():
        body["params"] = {k: draw(PARAMS[k]) for k in body["params"]}
    return {
        "tune": draw(st.one_of(st.integers(-1, 5000), st.none())),
        "vars": draw(st.dictionaries(NAMES, SCALARS, max_size=3)),
        "presets": presets,
        "prompts": prompts,
    }


VALID_PARAMS = {
    "seed": st.integers(0, 2**32), "steps": st.integers(0, 50),
    "cfg_scale": st.floats(0, 15).map(lambda f: round(f, 2)), "num_images": st.integers(1, 8),
    "w": st.sampled_from([512, 768]), "super_resolution": st.booleans(),
    "negative_prompt": st.sampled_from(["old", "blur, {{ mood }}", "{{ subject|lower }}"]),
}
VALID_TEXT = st.lists(st.sampled_from([
    "a painting of ", "{{ subject }}", " seed {{ seed }}", "{{ mood|upper }}", " {{ n + 1 }}",
    "{% if n %}yes{% else %}no{% endif %}", " {{ prompt }}", "{{ 'é' ~ mood }}",
    "{% for i in range(3) %}{{ i }}{% endfor %}", "{{ [1, 2]|join('-') }}", "{{ n * 2.5 }}",
]), min_size=1, max_size=5).map(lambda parts: "x " + "".join(parts) + " {{ mood }}{{ n }}")
VALID_AXES = st.sampled_from([
    ("seed", ("range", "1..3")), ("seed", ("list", [1, 2, 2**32])),
    ("cfg_scale", ("range", "5..6 step 0.5")), ("steps", ("range", "10..30 count 3")),
    ("mood", ("list", ["calm", "wild", "é", ""])), ("n", ("list", [1, 1.0, True, 0])),
    ("num_images", ("list", [1, 4])), ("seed", ("range", "random(3)")),
])


@st.composite
def valid_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Specs that mostly lint clean, so that lint-clean-implies-expand is exercised."""
    names = draw(st.lists(st.sampled_from(["base", "style", "p3"]), unique=True, max_size=3))
    presets = {}
    for i, name in enumerate(names):
        extends = draw(st.lists(st.sampled_from(names[:i]), unique=True, max_size=2)) if i else []
        fields = draw(st.dictionaries(st.sampled_from(sorted(VALID_PARAMS)), st.just(0),
                                      max_size=2))
        presets[name] = (extends, {k: draw(VALID_PARAMS[k]) for k in fields})
    prompts = {}
    for name in draw(st.lists(NAMES, unique=True, min_size=1, max_size=3)):
        params = draw(st.dictionaries(st.sampled_from(sorted(VALID_PARAMS)), st.just(0),
                                      max_size=3))
        sweep = draw(st.lists(VALID_AXES, unique_by=lambda a: a[0], max_size=3))
        params = {k: draw(VALID_PARAMS[k]) for k in {*params, "seed"} if k not in dict(sweep)}
        prompts[name] = {
            "extends": draw(st.lists(st.sampled_from(names), unique=True, max_size=2))
            if names else [],
            "text": draw(VALID_TEXT), "params": params, "vars": {}, "sweep": sweep,
            "zip": draw(st.sampled_from([[], [("mood", ("list", ["a", "b"])),
                                              ("steps", ("list", [20, 30]))]]))
            if "mood" not in dict(sweep) and "steps" not in dict(sweep) else [],
        }
    return {"tune": draw(st.integers(1, 10**6)),
            "vars": {"subject": "ohwx man", "mood": "calm", "n": draw(st.integers(0, 3))},
            "presets": presets, "prompts": prompts}


def _dsl_value(v: Any) -> str:
    if isinstance(v, tuple):
        return v[1] if v[0] == "range" else "[" + ", ".join(map(_dsl_value, v[1])) + "]"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return repr(v)


def to_dsl(spec: dict[str, Any]) -> str:
    out = [f"tune {spec['tune']}"] if spec["tune"] is not None else []
    if spec["vars"]:
        out += ["vars {", *(f"  {k} = {_dsl_value(v)}" for k, v in spec["vars"].items()), "}"]
    for name, (extends, fields) in spec["presets"].items():
        head = f"preset {name}" + (" : " + ", ".join(extends) if extends else "")
        out += [head + " {", *(f"  {k} = {_dsl_value(v)}" for k, v in fields.items()), "}"]
    for name, body in spec["prompts"].items():
        head = f"prompt {name}" + (" : " + ", ".join(body["extends"]) if body["extends"] else "")
        out.append(head + " {")
        if body["text"] is not None:
            out.append(f"  text = {_dsl_value(body['text'])}")
        out += [f"  {k} = {_dsl_value(v)}" for k, v in body["params"].items()]
        if body["vars"]:
            out += ["  vars {", *(f"    {k} = {_dsl_value(v)}" for k, v in body["vars"].items()),
                    "  }"]
        for block in ("sweep", "zip"):
            if body[block]:
                out += [f"  {block} {{", *(f"    {k} = {_dsl_value(v)}" for k, v in body[block]),
                        "  }"]
        out.append("}")
    return "\n".join(out) + "\n"


def _yaml_value(v: Any) -> Any:
    if isinstance(v, tuple):
        return v[1] if v[0] == "range" else [_yaml_value(x) for x in v[1]]
    return v


def to_yaml(spec: dict[str, Any]) -> str:
    doc: dict[str, Any] = {"version": 1}
    if spec["tune"] is not None:
        doc["tune"] = spec["tune"]
    if spec["vars"]:
        doc["vars"] = spec["vars"]
    if spec["presets"]:
        doc["presets"] = {n: {**({"extends": e} if e else {}), **f}
                          for n, (e, f) in spec["presets"].items()}
    prompts: dict[str, Any] = {}
    for name, body in spec["prompts"].items():
        p: dict[str, Any] = {}
        if body["extends"]:
            p["extends"] = body["extends"]
        if body["text"] is not None:
            p["text"] = body["text"]
        p.update(body["params"])
        if body["vars"]:
            p["vars"] = body["vars"]
        for block in ("sweep", "zip"):
            if body[block]:
                p[block] = {k: _yaml_value(v) for k, v in body[block]}
        prompts[name] = p
    doc["prompts"] = prompts
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"  # JSON is YAML


MUTATIONS = st.sampled_from(["none", "truncate", "flip", "huge-int", "huge-float", "nest",
                             "deep-template", "dots", "tags"])


def mutate(text: str, how: str, at: int, char: str) -> str:
    i = at % (len(text) + 1)
    splice = {
        "huge-int": "9" * 5000, "huge-float": "1e999", "nest": "[" * 3000 + "]" * 3000,
        "deep-template": "{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}",
        "dots": "1" + "." * 20000, "tags": "{#" * 20000,
    }
    if how == "truncate":
        return text[:i]
    if how == "flip":
        return text[:i] + char + text[i + 1:]
    if how in splice:
        return text[:i] + splice[how] + text[i:]
    return text


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "pyproject.toml").write_text("[tool.promptspec]\nmax-requests = 200\n")
    return root


def _cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    text = r.stdout + r.stderr
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]
    return r.exit_code, r.stdout, r.stderr


def _ids(path: Path) -> list[str]:
    code, out, err = _cli("expand", "--limit", "200", str(path))
    assert code == 0, err[-2000:]
    return [json.loads(line)["id"] for line in out.splitlines()]


def _check(path: Path) -> Iterator[str]:
    """Every command on one file; yields what it found, for the statistics."""
    code, _, _ = _cli("lint", str(path))
    assert code in (0, 1, 2)
    for args in (["lint", "--format", "json"], ["expand", "--count"], ["run", "--dry-run"]):
        assert _cli(*args, str(path))[0] in (0, 1, 2)
    if code != 0:
        code, _, _ = _cli("expand", "--limit", "20", str(path))
        assert code in (1, 2)
        yield "lint-errors"
        return
    ids = _ids(path)  # lint clean: expand must succeed
    yield "clean"
    if path.suffix == ".pspec":
        code, _, _ = _cli("fmt", str(path))
        assert code == 0
        once = path.read_text(encoding="utf-8")
        assert _cli("fmt", "--check", str(path))[0] == 0  # idempotent
        assert path.read_text(encoding="utf-8") == once
        assert _ids(path) == ids
    other = path.with_name("converted" + (".pspec.yaml" if path.suffix == ".pspec" else ".pspec"))
    code, _, err = _cli("convert", str(path), "--to", "yaml" if path.suffix == ".pspec"
                          else "dsl", "-o", str(other))
    assert code == 0, err
    assert _ids(other) == ids
    back = path.with_name("back" + path.name[path.name.index("."):])
    code, _, err = _cli("convert", str(other), "--to", "dsl" if path.suffix == ".pspec"
                        else "yaml", "-o", str(back))
    assert code == 0, err
    assert _ids(back) == ids


@FUZZ
@given(spec=st.one_of(specs(), valid_specs()))
def test_generated_specs_in_both_syntaxes(folder: Path, spec: dict[str, Any]) -> None:
    for name, text in (("gen.pspec", to_dsl(spec)), ("gen.pspec.yaml", to_yaml(spec))):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        for found in _check(path):
            event(f"{name}: {found}")


@FUZZ
@given(spec=st.one_of(specs(), valid_specs()), how=MUTATIONS, at=st.integers(0, 10**6),
       char=st.sampled_from(["\x00", "\xff", "{", "}", "\"", "\n", "[", ":", "é", "\ufeff"]),
       yaml=st.booleans())
def test_mutated_specs(folder: Path, spec: dict[str, Any], how: str, at: int, char: str,
                       yaml: bool) -> None:
    text = mutate(to_yaml(spec) if yaml else to_dsl(spec), how, at, char)
    path = folder / ("mut.pspec.yaml" if yaml else "mut.pspec")
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    for found in _check(path):
        event(f"{how}: {found}")


@FUZZ
@given(data=st.binary(max_size=300), yaml=st.booleans())
@example(data=b"#\x00", yaml=False)  # found by the long profile: a NUL in a comment
def test_arbitrary_bytes(folder: Path, data: bytes, yaml: bool) -> None:
    path = folder / ("bytes.pspec.yaml" if yaml else "bytes.pspec")
    path.write_bytes(data)
    list(_check(path))
