"""One definition per policy: suffix -> syntax, lines as the parser counts them, git's
ignore rules, atomic writes. Each test here failed before the policy had one home."""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptspec import paths
from promptspec.cli import cli
from promptspec.load import discover
from promptspec.syntax import line_starts, source_lines

LS = "\u2028"


def _lint_json(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["lint", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def test_every_command_reads_dot_yaml_as_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    monkeypatch.chdir(tmp_path)
    Path("s.yaml").write_text("version: 1\ntune: 1\nprompts:\n  a: {text: hi}\n")
    assert _lint_json("s.yaml") == []
    result = CliRunner().invoke(cli, ["fmt", "--check", "s.yaml"])
    assert result.exit_code == 0, result.output
    assert "PS001" not in result.output and "skipped" in result.output
    assert paths.syntax_of("s.yaml") == paths.syntax_of("s.pspec.yml") == "yaml"
    assert paths.syntax_of("s.pspec") == "dsl"


@pytest.mark.parametrize(("name", "text", "line"), [
    ("a.pspec", f'tune 1\nprompt a {{\n  text = "x{LS}y"\n  scheduler = "EULER_A"\n}}\n', 4),
    ("a.pspec.yaml", f'version: 1\ntune: 1\nprompts:\n  a:\n    text: "x{LS}y"\n'
     "    scheduler: EULER_A\n", 7),  # libyaml counts U+2028 as a line break
])
def test_a_line_separator_in_a_string_keeps_later_fixes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, line: int) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(text, encoding="utf-8")
    [finding] = _lint_json(name)
    assert (finding["code"], finding["line"], finding["fixable"]) == ("PS104", line, True)
    result = CliRunner().invoke(cli, ["lint", "--fix", name])
    assert result.exit_code == 0, result.output
    fixed = Path(name).read_text(encoding="utf-8")
    assert "euler_a" in fixed and LS in fixed


def test_lines_are_counted_as_each_parser_counts_them() -> None:
    text = f"a{LS}b\r\nc\rd\n"
    assert source_lines(text, "dsl") == [f"a{LS}b", "c\rd", ""]
    assert source_lines(text, "yaml") == ["a", "b", "c", "d", ""]
    assert line_starts(text, "dsl") == [0, 5, 9]
    assert line_starts(text, "yaml") == [0, 2, 5, 7, 9]


def test_gitignore_follows_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q"], check=True)
    for folder in ("foo ", "foo", "deep/er", "z"):
        Path(folder).mkdir(parents=True)
        Path(folder, "s.pspec").write_text("tune 1\n")
    Path("z.pspec").write_text("tune 1\n")
    # an escaped trailing space is part of the pattern; `[z-a]` is accepted and matches
    # nothing; a run of `**/` means one `**/`
    Path(".gitignore").write_text("foo\\ \n[z-a]\n**/**/**/**/**/er/\n/z/\n")
    found = discover(())
    assert found == ["foo/s.pspec", "z.pspec"]
    listed = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"],
                            check=True, capture_output=True, text=True).stdout.split()
    assert sorted(found) == sorted(p for p in listed if p.endswith(".pspec"))


def test_discovery_skips_links_to_folders_and_what_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.pspec").write_text("tune 1\n")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    os.mkfifo(tmp_path / "sub" / "fifo.pspec")
    assert discover((str(tmp_path),)) == [str(tmp_path / "sub" / "a.pspec")]


def test_a_fifo_given_by_name_is_one_line_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "x.pspec"
    os.mkfifo(fifo)
    result = CliRunner().invoke(cli, ["lint", str(fifo)])
    assert result.exit_code == 2
    assert result.output.strip() == f"{fifo}: not a regular file"


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.pspec"
    target.write_text("old\n")
    target.chmod(0o640)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        paths.atomic_write(target, "new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pspec"]
    monkeypatch.undo()
    paths.atomic_write(target, "new\n")
    assert target.read_text() == "new\n" and target.stat().st_mode & 0o777 == 0o640


def test_fmt_on_a_full_disk_keeps_the_file(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.pspec").write_text('tune   1\nprompt a {\n text="hi"\n}\n')
    before = Path("a.pspec").read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    result = CliRunner().invoke(cli, ["fmt", "a.pspec"])
    assert result.exit_code == 2
    assert result.output.strip() == "a.pspec: cannot write: No space left on device"
    assert Path("a.pspec").read_bytes() == before
    assert os.listdir() == ["a.pspec"]


def test_project_root_is_the_nearest_marker(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    spec = deep / "s.pspec"
    spec.write_text("tune 1\n")
    assert paths.project_root(str(spec)) == str(tmp_path.resolve())
    assert paths.inside(str(tmp_path), str(spec))
    assert not paths.inside(str(deep), str(tmp_path / "a"))
    assert paths.spec_stem("specs/demo.pspec.yaml") == "demo"


def test_an_edited_upload_changes_the_request_id(tmp_path: Path) -> None:
    from promptspec import api

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "pose.png").write_bytes(b"one")
    spec = tmp_path / "s.pspec"
    spec.write_text('tune 1\nprompt a {\n  text = "hi"\n  input_image = file("pose.png")\n}\n')
    [first] = api.expand([str(spec)])
    (tmp_path / "pose.png").write_bytes(b"two, longer")
    [second] = api.expand([str(spec)])
    assert first.params["input_image"] != second.params["input_image"]
    assert first.id != second.id


def test_the_private_cache_is_the_users_own_or_nothing(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = paths.private_cache("rules-x")
    assert folder == str(tmp_path / "promptspec" / "rules-x")
    assert os.stat(folder).st_mode & 0o777 == 0o700
    os.chmod(folder, 0o777)  # another user could plant files here: not to be used
    assert paths.private_cache("rules-x") is None
    os.rmdir(folder)
    os.symlink(tmp_path, folder)  # a link is not the folder it claims to be
    assert paths.private_cache("rules-x") is None


def test_no_module_writes_to_the_shared_temporary_folder() -> None:
    package = Path(paths.__file__).parent
    users = [p.relative_to(package).as_posix() for p in package.rglob("*.py")
             if "gettempdir" in p.read_text(encoding="utf-8")]
    assert users == []


def test_a_fifo_named_by_file_is_a_finding_not_a_hang(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    monkeypatch.chdir(tmp_path)
    Path("pyproject.toml").write_text("")
    os.mkfifo("pose.png")
    Path("s.pspec").write_text('tune 1\nprompt a {\n  text = "hi"\n'
                               '  input_image = file("pose.png")\n}\n')

    def hung(*_: object) -> None:
        raise TimeoutError("lint blocked on a FIFO")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        found = _lint_json("s.pspec")  # with the lint cache, which digests file(...) targets
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert [f["code"] for f in found] == ["PS109"]
