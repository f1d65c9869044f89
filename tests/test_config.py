"""`[tool.promptspec]` and the engine's selection: ruff's select/ignore semantics, the
command line over the configuration, per-file ignores, max-requests, invalid tables, and
suppression comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptspec.config import Config, load_config
from promptspec.errors import ConfigError, UsageError
from promptspec.lint import rules
from promptspec.lint.engine import Selection, enabled, lint_paths, parse_codes, suppressions
from promptspec.resolve import Resolution


def cfg(select: tuple[str, ...] | None = None, ignore: tuple[str, ...] = ()) -> Config:
    return Config(select=select, ignore=ignore)


def test_defaults_select_everything() -> None:
    assert enabled("PS209", cfg(), Selection())


def test_more_specific_wins_ties_go_to_ignore() -> None:
    assert not enabled("PS209", cfg(select=("PS2",), ignore=("PS209",)), Selection())
    assert enabled("PS209", cfg(select=("PS209",), ignore=("PS2",)), Selection())
    assert not enabled("PS209", cfg(select=("PS2",), ignore=("PS2",)), Selection())
    assert not enabled("PS101", cfg(select=("PS2",)), Selection())


def test_cli_select_replaces_config_selection() -> None:
    config = cfg(select=("PS1",), ignore=("PS103",))
    assert enabled("PS209", config, Selection(select=("PS2",)))
    assert not enabled("PS101", config, Selection(select=("PS2",)))
    # the configured ignore went with the configured select it belonged to
    assert enabled("PS103", config, Selection(select=("PS103",)))


def test_config_ignore_carries_over_when_config_has_no_select() -> None:
    config = cfg(ignore=("PS103",))
    assert not enabled("PS103", config, Selection(select=("PS1",)))
    assert enabled("PS101", config, Selection(select=("PS1",)))
    assert not enabled("PS103", config, Selection(select=("PS103",)))  # a tie: ignore wins
    assert enabled("PS103", cfg(ignore=("PS1",)), Selection(select=("PS103",)))


def test_cli_ignore_adds() -> None:
    config = cfg(ignore=("PS2",))
    assert not enabled("PS101", config, Selection(ignore=("PS101",)))
    assert not enabled("PS209", config, Selection(ignore=("PS101",)))
    assert enabled("PS103", config, Selection(ignore=("PS101",)))


def test_parse_codes() -> None:
    assert parse_codes(None, "--select") is None
    assert parse_codes(" ps1 , PS209,", "--select") == ("PS1", "PS209")
    with pytest.raises(UsageError, match="PS4999"):
        parse_codes("PS4999", "--ignore")


def write(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n' + table)
    return tmp_path


def test_load_config_fields(tmp_path: Path) -> None:
    write(tmp_path, '[tool.promptspec]\nselect = ["ps1"]\nignore = ["PS103"]\n'
                    'max-requests = 50\nbase-url = "http://127.0.0.1:9"\n'
                    'cost-per-image-mc = 12\n'
                    '[tool.promptspec.per-file-ignores]\n"old/*.pspec" = ["PS2"]\n')
    (tmp_path / "sub").mkdir()
    c = load_config(str(tmp_path / "sub"))
    assert (c.select, c.ignore, c.max_requests, c.base_url) == (
        ("PS1",), ("PS103",), 50, "http://127.0.0.1:9")
    assert c.per_file_ignores == (("old/*.pspec", ("PS2",)),)
    assert c.root == str(tmp_path)
    assert c.cost_per_image_mc == 12


@pytest.mark.parametrize("table", [
    '[tool.promptspec]\nselect = "PS1"\n',
    '[tool.promptspec]\nselect = ["E501"]\n',
    '[tool.promptspec]\nmax-requests = 0\n',
    '[tool.promptspec]\nbase-url = "ftp://x"\n',
    '[tool.promptspec]\nunknown = 1\n',
    '[tool.promptspec]\ncost-per-image-mc = -1\n',
    '[tool.promptspec]\ncost-per-image-mc = "10"\n',
    '[tool.promptspec]\nper-file-ignores = ["x"]\n',
    '[tool.promptspec\n',
])
def test_invalid_tables_name_the_file(tmp_path: Path, table: str) -> None:
    write(tmp_path, table)
    (tmp_path / "a.pspec").write_text('tune 1\nprompt a {\n  text = "x"\n}\n')
    with pytest.raises(ConfigError) as err:
        lint_paths([str(tmp_path / "a.pspec")])
    message = str(err.value)
    assert str(tmp_path / "pyproject.toml") in message and "\n" not in message


def test_max_requests_reaches_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "[tool.promptspec]\nmax-requests = 7\n")
    (tmp_path / "a.pspec").write_text('tune 1\nprompt a {\n  text = "x"\n}\n')
    seen: list[int] = []

    def check(res: Resolution, *, max_requests: int = 1000, profile: str = "current"
              ) -> list[object]:
        seen.append(max_requests)
        return []

    monkeypatch.setattr(rules, "check", check)
    lint_paths([str(tmp_path / "a.pspec")])
    lint_paths([str(tmp_path / "a.pspec")], max_requests=3)
    assert seen == [7, 3]


def test_imports_are_loaded_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import promptspec.lint.engine as engine
    import promptspec.resolve as resolution

    write(tmp_path, "")
    (tmp_path / "common.pspec").write_text('preset p {\n  num_images = 2\n}\n')
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.pspec").write_text(
            f'import "common.pspec"\ntune 1\nprompt {name} : p {{\n  text = "x"\n}}\n')
    loads: list[str] = []
    real_load = resolution.load

    def counting(path: str, *reader: object) -> object:
        loads.append(Path(path).name)
        return real_load(path, *reader)

    monkeypatch.setattr(resolution, "load", counting)
    monkeypatch.setattr(engine, "load", counting)
    monkeypatch.chdir(tmp_path)
    lint_paths(["a.pspec", "b.pspec", "c.pspec", "common.pspec"])
    assert sorted(loads) == ["a.pspec", "b.pspec", "c.pspec", "common.pspec"]


DSL = '''tune 1  # promptspec: ignore[PS108]
prompt a {  # promptspec: ignore
  text = "# promptspec: ignore"
  text2 = """
    # promptspec: ignore
  """
  x = "\\" # promptspec: ignore[PS1, ps209]"   # promptspec: ignore[PS2 , ps3]
}
'''
YAML = '''tune: 1 # promptspec: ignore[PS108]
text: "a # promptspec: ignore"
text2: 'it''s # promptspec: ignore'
w: 7#promptspec: ignore
h: 8 #promptspec:ignore[PS105]
# promptspec: ignore[PS007]
'''


def test_suppression_comments_dsl() -> None:
    assert suppressions(DSL, "dsl") == {
        1: frozenset({"PS108"}), 2: None, 7: frozenset({"PS2", "PS3"})}


def test_suppression_comments_yaml() -> None:
    assert suppressions(YAML, "yaml") == {
        1: frozenset({"PS108"}), 5: frozenset({"PS105"}), 6: frozenset({"PS007"})}
