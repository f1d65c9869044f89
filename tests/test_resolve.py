"""Resolution: imports, presets, merge order, and where their problems are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptspec import api
from promptspec.resolve import project_root, resolve


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 't'\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codes(path: str) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in resolve(path).diagnostics]


def test_merge_order_later_wins(root: Path) -> None:
    (root / "lib").mkdir()
    (root / "lib" / "deep.pspec.yaml").write_text(
        "vars: {who: deep, depth: deep}\npresets:\n  grand: {steps: 10, seed: 1}\n"
    )
    (root / "lib" / "styles.pspec").write_text(
        'import "deep.pspec.yaml"\nvars {\n  who = "imported"\n}\n'
        "preset parent : grand {\n  steps = 20\n}\n"
    )
    (root / "s.pspec").write_text(
        'import "lib/styles.pspec"\ntune 3\nvars {\n  who = "file"\n  mood = "file"\n}\n'
        "preset child : parent {\n  vars { mood = \"preset\" }\n  num_images = 2\n}\n"
        'prompt p : child {\n  text = "{{ who }} {{ mood }} {{ depth }}"\n  num_images = 3\n'
        "  sweep {\n    seed = [7]\n  }\n}\n"
    )
    assert codes("s.pspec") == []
    (r,) = api.expand(["s.pspec"])
    # imported vars win over the file's own (contract: file vars -> imported vars -> ...)
    assert r.params == {"steps": 20, "seed": 7, "num_images": 3,
                        "text": "imported preset deep"}
    rp = resolve("s.pspec").prompts[0]
    assert [p.name for p in rp.presets] == ["grand", "parent", "child"]
    assert rp.params["steps"].origin == "preset parent"
    assert rp.vars["mood"].origin == "preset child"


def test_diamond_presets_apply_once_in_extends_order(root: Path) -> None:
    (root / "s.pspec").write_text(
        "tune 1\npreset base {\n  steps = 1\n}\npreset a : base {\n  steps = 2\n}\n"
        "preset b : base {\n  seed = 5\n}\nprompt p : a, b {\n  text = \"x\"\n}\n"
    )
    rp = resolve("s.pspec").prompts[0]
    assert [p.name for p in rp.presets] == ["base", "a", "b"]
    (r,) = api.expand(["s.pspec"])
    assert r.params == {"steps": 2, "seed": 5, "text": "x"}


def test_import_problems_are_reported_at_the_import(root: Path) -> None:
    (root / "a.pspec").write_text(
        'import "b.pspec.yaml"\nimport "../outside.pspec"\nimport "missing.pspec"\n'
        'import "broken.pspec"\n'
    )
    (root / "b.pspec.yaml").write_text("imports: [a.pspec, missing2.pspec]\n")
    (root / "broken.pspec").write_text("preset {\n")
    assert codes("a.pspec") == [("PS003", 1), ("PS003", 2), ("PS003", 3), ("PS003", 4)]
    msgs = [d.message for d in resolve("a.pspec").diagnostics]
    assert msgs[0] == "import cycle: a.pspec -> b.pspec.yaml -> a.pspec"
    # b's own missing import is b's finding, not a's
    assert [c for c, _ in codes("b.pspec.yaml")] == ["PS003", "PS003"]


def test_duplicate_names_across_imports(root: Path) -> None:
    (root / "lib.pspec").write_text("preset look {\n  seed = 1\n}\npreset look {\n  seed = 2\n}\n")
    (root / "s.pspec").write_text(
        'import "lib.pspec"\ntune 1\npreset look {\n  seed = 3\n}\n'
        'prompt p {\n  text = "x"\n}\nprompt p {\n  text = "y"\n}\n'
    )
    found = resolve("s.pspec").diagnostics
    assert [(d.code, d.span.line) for d in found] == [("PS006", 3), ("PS006", 9)]
    assert "lib.pspec:1:8" in found[0].message
    assert [(d.code, d.span.line) for d in resolve("lib.pspec").diagnostics] == [("PS006", 4)]


def test_preset_cycles_and_unknown_names(root: Path) -> None:
    (root / "s.pspec").write_text(
        "preset a : b {\n}\npreset b : a {\n}\npreset c : nope {\n}\n"
        "prompt p : a, bb {\n  text = \"x\"\n}\n"
    )
    found = resolve("s.pspec").diagnostics
    assert [(d.code, d.span.line) for d in found] == [("PS005", 3), ("PS004", 5), ("PS004", 7)]
    assert "did you mean 'b'" in found[2].message


def test_project_root(tmp_path: Path) -> None:
    (tmp_path / "proj" / "specs").mkdir(parents=True)
    (tmp_path / "proj" / ".git").mkdir()
    assert project_root(str(tmp_path / "proj" / "specs" / "x.pspec")) == str(tmp_path / "proj")
