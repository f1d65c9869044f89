"""`promptspec schema`: a valid draft-07 schema that accepts the example specs and rejects
single-field mistakes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import invoke
from ruamel.yaml import YAML

from promptspec.cli import cli
from promptspec.params import PARAMS
from promptspec.syntax.yaml.json_schema import build_schema

HERE = Path(__file__).resolve().parent
EXAMPLES = sorted([*HERE.parent.glob("specs/**/*.pspec.yaml"),  # specs that lint clean
                   *HERE.glob("data/conformance/clean_*.pspec.yaml"),
                   *HERE.glob("data/conformance/contract_example.pspec.yaml")])
CONTRACT = """
version: 1
imports: [presets/common.pspec]
tune: 1234
vars:
  subject: ohwx man
presets:
  base:
    negative_prompt: "old, blemish, wrinkles, mole"
    super_resolution: true
    face_correct: true
  portrait:
    extends: base
    aspect_ratio: "2:3"
    inpaint_faces: true
prompts:
  van_gogh:
    extends: portrait
    text: "a painting of {{ subject }} in the style of {{ artist }}"
    num_images: 4
    vars: {artist: Van Gogh}
    sweep:
      seed: 1..4
      cfg_scale: [5, 7.5, 10]
      artist: [Van Gogh, Monet]
      steps: "random(3, 42)"
      denoising_strength: "0.2..0.8 count 4"
  pairs:
    tune: 99
    text: "portrait of {{ subject }}"
    input_image: {file: refs/pose.png}
    backend_version: null
    callback: "https://example.com/{{ prompt }}"
    zip:
      seed: [1, 2, 3]
      steps: [20, 30, 40]
"""


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    out = CliRunner().invoke(cli, ["schema"])
    assert out.exit_code == 0
    schema = json.loads(out.stdout)
    assert schema == build_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


def test_shape_of_the_schema() -> None:
    s = build_schema()
    assert s["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert s["$id"] and s["title"]
    prompt = s["definitions"]["prompt"]
    assert prompt["additionalProperties"] is False
    assert s["definitions"]["preset"]["additionalProperties"] is False
    assert s["additionalProperties"] is False
    assert prompt["properties"]["w"]["multipleOf"] == 8
    assert prompt["properties"]["num_images"]["maximum"] == 8
    assert prompt["properties"]["text"]["description"] == PARAMS["text"].doc
    assert None in prompt["properties"]["backend_version"]["enum"]


def test_contract_example_is_valid(validator: jsonschema.Draft7Validator) -> None:
    assert list(validator.iter_errors(load(CONTRACT))) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_specs_are_valid(path: Path, validator: jsonschema.Draft7Validator) -> None:
    errors = [e.message for e in validator.iter_errors(load(path.read_text()))]
    assert errors == []


def _set(doc: Any, where: list[str], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return doc


BAD = [
    (["prompts", "pairs", "num_images"], 9),
    (["prompts", "pairs", "num_images"], 2.5),
    (["prompts", "pairs", "steps"], -1),
    (["prompts", "pairs", "cfg_scale"], "high"),
    (["prompts", "pairs", "w"], 500),
    (["prompts", "pairs", "super_resolution"], "yes"),
    (["prompts", "pairs", "aspect_ratio"], "2:7"),
    (["prompts", "pairs", "scheduler"], "EULER"),
    (["prompts", "pairs", "colour"], 1),
    (["prompts", "pairs", "lora_scale"], 0.5),
    (["prompts", "pairs", "callback"], "ftp://example.com"),
    (["prompts", "pairs", "input_image"], {"path": "x.png"}),
    (["prompts", "pairs", "tune"], 0),
    (["prompts", "pairs", "extends"], ["bad name"]),
    (["prompts", "pairs", "zip", "seed"], "1..x"),
    (["prompts", "pairs", "zip", "seed"], []),
    (["prompts", "van_gogh", "sweep", "num_images"], [1, 9]),
    (["prompts", "van_gogh", "sweep", "seed"], "random(three)"),
    (["presets", "base", "sweep"], {"seed": [1]}),
    (["vars", "subject"], {"nested": 1}),
    (["version"], 2),
    (["imports"], 5),
    (["styles"], {}),
]


@pytest.mark.parametrize(("where", "value"), BAD, ids=lambda x: str(x))
def test_single_field_errors_are_rejected(where: list[str], value: Any,
                                          validator: jsonschema.Draft7Validator) -> None:
    doc = _set(load(CONTRACT), where, value)
    assert list(validator.iter_errors(doc)) != []


def test_schema_is_draft_07(project: Path) -> None:
    r = invoke("schema")
    assert json.loads(r.stdout)["$schema"] == "http://json-schema.org/draft-07/schema#"
