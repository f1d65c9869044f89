"""The YAML front end: model, spans, value forms and diagnostics (PS001, PS002, PS007)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptspec._yaml import parse_yaml
from promptspec.frontend import Parsed, parse_source
from promptspec.model import (
    FileRef,
    ListValue,
    Literal,
    Prompt,
    RandomValue,
    RangeValue,
    Span,
    SpecFile,
)

CASES = Path("/work/shared/conformance/cases")
P = "t.pspec.yaml"


def parse(text: str) -> Parsed:
    return parse_yaml(text, P)


def spec_of(text: str) -> SpecFile:
    parsed = parse(text)
    assert parsed.diagnostics == (), [str(d) for d in parsed.diagnostics]
    assert parsed.spec is not None
    return parsed.spec


def found(text: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in parse(text).diagnostics]


def at(line: int, col: int, end_line: int, end_col: int) -> Span:
    return Span(P, line, col, end_line, end_col)


def prompt(spec: SpecFile, name: str) -> Prompt:
    return next(p for p in spec.prompts if p.name == name)


def axis_value(text: str, axis: str = "seed") -> Any:
    spec = spec_of(f"prompts:\n  p:\n    sweep:\n      {axis}: {text}\n")
    sweep = spec.prompts[0].sweep
    assert sweep is not None
    return sweep.axes[0].value


def field_value(text: str) -> Any:
    spec = spec_of(f"prompts:\n  p:\n    seed: {text}\n")
    return spec.prompts[0].fields[0].value


# -- the conformance examples --------------------------------------------------------------


def contract_example() -> Parsed:
    path = CASES / "contract_example.pspec.yaml"
    return parse_yaml(path.read_text("utf-8"), str(path))


def test_contract_example_names_and_values() -> None:
    parsed = contract_example()
    assert parsed.diagnostics == ()
    spec = parsed.spec
    assert spec is not None and spec.syntax == "yaml"
    assert spec.version is not None and spec.version.value == Literal(1, spec.version.value.span, "1")
    assert spec.tune is not None and isinstance(spec.tune.value, Literal)
    assert spec.tune.value.value == 1234
    assert [(v.name, v.value.value) for v in spec.vars if isinstance(v.value, Literal)] == [
        ("subject", "ohwx man")
    ]
    assert [p.name for p in spec.presets] == ["base", "portrait"]
    assert [p.name for p in spec.prompts] == ["van_gogh", "pairs"]
    base, portrait = spec.presets
    assert [(f.name, getattr(f.value, "value", None)) for f in base.fields] == [
        ("negative_prompt", "old, blemish, wrinkles, mole"),
        ("super_resolution", True),
        ("face_correct", True),
    ]
    assert [r.name for r in portrait.extends] == ["base"]
    van = prompt(spec, "van_gogh")
    assert [r.name for r in van.extends] == ["portrait"]
    assert [f.name for f in van.fields] == ["text", "num_images"]
    assert [(v.name, getattr(v.value, "value", None)) for v in van.vars] == [("artist", "Van Gogh")]
    assert van.sweep is not None and van.zip is None
    assert [a.name for a in van.sweep.axes] == ["seed", "cfg_scale", "artist"]
    seed, cfg, artist = (a.value for a in van.sweep.axes)
    assert isinstance(seed, RangeValue)
    assert (seed.start.value, seed.end.value, seed.step, seed.count) == (1, 4, None, None)
    assert isinstance(cfg, ListValue)
    assert [(i.value, i.text) for i in cfg.items if isinstance(i, Literal)] == [
        (5, "5"), (7.5, "7.5"), (10, "10"),
    ]
    assert isinstance(artist, ListValue)
    assert [getattr(i, "value", None) for i in artist.items] == ["Van Gogh", "Monet"]
    pairs = prompt(spec, "pairs")
    assert pairs.sweep is None and pairs.zip is not None
    assert [f.name for f in pairs.fields] == ["tune", "text"]
    assert [a.name for a in pairs.zip.axes] == ["seed", "steps"]


def test_contract_example_spans() -> None:
    spec = contract_example().spec
    assert spec is not None
    path = str(CASES / "contract_example.pspec.yaml")

    def s(a: int, b: int, c: int, d: int) -> Span:
        return Span(path, a, b, c, d)

    assert spec.tune is not None
    assert spec.tune.name_span == s(3, 1, 3, 5)
    assert spec.tune.value.span == s(3, 7, 3, 11)
    base = spec.presets[0]
    assert base.name_span == s(7, 3, 7, 7)
    assert base.span == s(7, 3, 10, 23)  # ends with the last value, not the next key
    assert base.fields[0].value.span == s(8, 22, 8, 52)  # quotes included
    portrait = spec.presets[1]
    assert portrait.extends[0].span == s(12, 14, 12, 18)
    van = spec.prompts[0]
    assert van.name_span == s(16, 3, 16, 11)
    assert van.vars[0].name_span == s(20, 12, 20, 18)
    assert van.sweep is not None
    assert van.sweep.span == s(21, 5, 24, 32)  # the `sweep` key through its mapping's end
    seed = van.sweep.axes[0]
    assert seed.name_span == s(22, 7, 22, 11)
    assert isinstance(seed.value, RangeValue)
    assert seed.value.span == s(22, 13, 22, 17)
    assert seed.value.start.span == s(22, 13, 22, 14)
    assert seed.value.end.span == s(22, 16, 22, 17)
    cfg = van.sweep.axes[1].value
    assert isinstance(cfg, ListValue)
    assert cfg.span == s(23, 18, 23, 30)
    assert [i.span for i in cfg.items] == [s(23, 19, 23, 20), s(23, 22, 23, 25), s(23, 27, 23, 29)]
    pairs = spec.prompts[1]
    assert pairs.zip is not None and pairs.zip.span == s(28, 5, 30, 26)
    assert pairs.span == s(25, 3, 30, 26)


def test_clean_imports_example() -> None:
    path = CASES / "clean_imports.pspec.yaml"
    parsed = parse_yaml(path.read_text("utf-8"), str(path))
    assert parsed.diagnostics == ()
    spec = parsed.spec
    assert spec is not None
    assert [i.path for i in spec.imports] == ["presets/shared.pspec"]
    assert spec.imports[0].span == Span(str(path), 3, 11, 3, 31)
    sharp = spec.prompts[0]
    assert [r.name for r in sharp.extends] == ["crisp"]
    assert sharp.sweep is not None
    seed, cfg = (a.value for a in sharp.sweep.axes)
    assert isinstance(seed, RandomValue) and seed.n.value == 2 and seed.seed is None
    assert seed.n.span == Span(str(path), 10, 21, 10, 22)  # inside the quoted string
    assert isinstance(cfg, RangeValue)
    assert (cfg.start.value, cfg.end.value) == (6, 9)
    assert cfg.step is not None and (cfg.step.value, cfg.step.text) == (1.5, "1.5")


def test_images_example() -> None:
    path = CASES / "rules_images.pspec.yaml"
    parsed = parse_yaml(path.read_text("utf-8"), str(path))
    assert parsed.diagnostics == ()
    spec = parsed.spec
    assert spec is not None
    masked = prompt(spec, "masked")
    image = next(f for f in masked.fields if f.name == "input_image")
    assert image.value == FileRef("presets/still.png", Span(str(path), 10, 18, 10, 43))
    scaled = prompt(spec, "scaled")
    lora = next(f for f in scaled.fields if f.name == "lora_scale")
    assert isinstance(lora.value, Literal) and (lora.value.value, lora.value.text) == (1.0, "1.0")
    assert isinstance(lora.value.value, float)
    assert [p.name for p in spec.prompts] == ["pose", "masked", "scaled", "weighted", "cn_only"]


def test_parse_source_dispatches_yaml() -> None:
    text = (CASES / "contract_example.pspec.yaml").read_text("utf-8")
    assert parse_source(text, "a.pspec.yml").spec == parse_yaml(text, "a.pspec.yml").spec
