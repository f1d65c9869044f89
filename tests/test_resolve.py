"""Resolution: imports, presets, merge order, and where their problems are reported."""

from __future__ import annotations

from pathlib import Path

from conftest import expand_lines, invoke, positions, write

from promptspec import api
from promptspec.paths import project_root
from promptspec.resolve import resolve


def codes(path: str) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in resolve(path).diagnostics]


def test_merge_order_later_wins(project: Path) -> None:
    (project / "lib").mkdir()
    (project / "lib" / "deep.pspec.yaml").write_text(
        "vars: {who: deep, depth: deep}\npresets:\n  grand: {steps: 10, seed: 1}\n"
    )
    (project / "lib" / "styles.pspec").write_text(
        'import "deep.pspec.yaml"\nvars {\n  who = "imported"\n}\n'
        "preset parent : grand {\n  steps = 20\n}\n"
    )
    (project / "s.pspec").write_text(
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


def test_resolved_records_are_records_like_any_other(project: Path) -> None:
    """What resolution makes quickly (settings, axes, resolved prompts) is of its class,
    equal, hashed, frozen and pickled as what the class's constructor makes."""
    import dataclasses
    import pickle

    import pytest

    from promptspec.resolve import AxisDef, ResolvedPrompt, Setting

    (project / "s.pspec.yaml").write_text(
        "presets:\n  p: {steps: 20}\nprompts:\n  a:\n    extends: p\n    text: x\n"
        "    sweep:\n      seed: [1, 2]\n")
    rp = resolve("s.pspec.yaml").prompts[0]
    steps = rp.params["steps"]
    assert type(steps) is Setting and type(rp) is ResolvedPrompt
    assert steps == Setting(steps.field, "preset p")
    assert hash(steps) == hash(Setting(steps.field, "preset p"))
    (axis,) = rp.axes
    assert type(axis) is AxisDef and axis == AxisDef(axis.members, False, axis.span)
    assert rp == dataclasses.replace(rp) and pickle.loads(pickle.dumps(steps)) == steps
    with pytest.raises(dataclasses.FrozenInstanceError):
        steps.origin = "elsewhere"  # type: ignore[misc]


def test_diamond_presets_apply_once_in_extends_order(project: Path) -> None:
    (project / "s.pspec").write_text(
        "tune 1\npreset base {\n  steps = 1\n}\npreset a : base {\n  steps = 2\n}\n"
        "preset b : base {\n  seed = 5\n}\nprompt p : a, b {\n  text = \"x\"\n}\n"
    )
    rp = resolve("s.pspec").prompts[0]
    assert [p.name for p in rp.presets] == ["base", "a", "b"]
    (r,) = api.expand(["s.pspec"])
    assert r.params == {"steps": 2, "seed": 5, "text": "x"}


def test_import_problems_are_reported_at_the_import(project: Path) -> None:
    (project / "a.pspec").write_text(
        'import "b.pspec.yaml"\nimport "../outside.pspec"\nimport "missing.pspec"\n'
        'import "broken.pspec"\n'
    )
    (project / "b.pspec.yaml").write_text("imports: [a.pspec, missing2.pspec]\n")
    (project / "broken.pspec").write_text("preset {\n")
    assert codes("a.pspec") == [("PS003", 1), ("PS003", 2), ("PS003", 3), ("PS003", 4)]
    msgs = [d.message for d in resolve("a.pspec").diagnostics]
    assert msgs[0] == "import cycle: a.pspec -> b.pspec.yaml -> a.pspec"
    # b's own missing import is b's finding, not a's
    assert [c for c, _ in codes("b.pspec.yaml")] == ["PS003", "PS003"]


def test_duplicate_names_across_imports(project: Path) -> None:
    (project / "lib.pspec").write_text(
        "preset look {\n  seed = 1\n}\npreset look {\n  seed = 2\n}\n")
    (project / "s.pspec").write_text(
        'import "lib.pspec"\ntune 1\npreset look {\n  seed = 3\n}\n'
        'prompt p {\n  text = "x"\n}\nprompt p {\n  text = "y"\n}\n'
    )
    found = resolve("s.pspec").diagnostics
    assert [(d.code, d.span.line) for d in found] == [("PS006", 3), ("PS006", 9)]
    assert "lib.pspec:1:8" in found[0].message
    assert [(d.code, d.span.line) for d in resolve("lib.pspec").diagnostics] == [("PS006", 4)]


def test_preset_cycles_and_unknown_names(project: Path) -> None:
    (project / "s.pspec").write_text(
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


def test_import_errors_and_duplicate_names_across_imports(project: Path) -> None:
    write(project, {
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
    (project.parent / "outside.pspec").write_text("tune 1\n")
    r = invoke("lint", "a.pspec")
    assert [ln.split(" ")[:2] for ln in r.stdout.splitlines()] == [
        ["a.pspec:2:8:", "PS003"], ["a.pspec:3:8:", "PS003"], ["a.pspec:5:8:", "PS006"]]
    assert "lib/common.pspec.yaml:2:3" in r.stdout.splitlines()[2]


def test_imports_cross_syntax_cycles_and_imported_prompts(
        project: Path) -> None:
    write(project, {
        "cyc/a.pspec": 'import "b.pspec.yaml"\ntune 1\nprompt a {\n  text = "a"\n}\n',
        "cyc/b.pspec.yaml": "imports: [a.pspec]\ntune: 1\nprompts:\n  b:\n    text: b\n",
        "lib.pspec.yaml": "vars:\n  v: lib\npresets:\n  s:\n    steps: 3\n"
                          "prompts:\n  own:\n    tune: 1\n    text: own\n",
        "main.pspec": 'import "lib.pspec.yaml"\ntune 2\nprompt m : s {\n  text = "{{ v }}"\n}\n',
    })
    assert positions("cyc") == [(1, 8, "PS003"), (1, 11, "PS003")]
    reqs = expand_lines("main.pspec")
    assert [(r["prompt"], r["tune_id"], r["params"]) for r in reqs] == [
        ("m", 2, {"steps": 3, "text": "lib"})]
