"""Hostile files and structures: FIFOs, devices, link loops, huge files, crafted ignore
patterns, deep chains, bad configuration, YAML tricks and a hostile emulator client. Each
is one line and an exit code (or a finding), in bounded time; never a hang or a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from promptspec import api
from promptspec.cli import cli
from promptspec.emulator import RunningEmulator
from promptspec.gitignore import IgnoreFile, wildcard
from promptspec.load import MAX_SPEC_BYTES

GOOD = 'tune 1\nprompt a {\n  text = "x"\n}\n'


def _cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in r.output + r.stderr
    assert "internal error" not in r.output + r.stderr
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_fifo_given_or_found_never_blocks(project: Path) -> None:
    os.mkfifo(project / "x.pspec")
    (project / "ok.pspec").write_text(GOOD)
    code, _, err = _cli("lint", "x.pspec")
    assert code == 2 and "x.pspec: not a regular file" in err
    code, _, err = _cli("lint")
    assert code == 0 and "All checks passed" in err


def test_a_link_to_a_device_and_a_huge_file(project: Path) -> None:
    os.symlink("/dev/zero", project / "zero.pspec")
    code, _, err = _cli("lint", "zero.pspec")
    assert code == 2 and "not a regular file" in err
    big = project / "big.pspec"
    with open(big, "wb") as f:
        f.truncate(MAX_SPEC_BYTES + 1)
    code, out, _ = _cli("lint", "big.pspec")
    assert code == 1 and "PS001 the file is larger than 10,485,760 bytes" in out


def test_discovery_does_not_follow_folder_links(project: Path) -> None:
    sub = project / "specs"
    sub.mkdir()
    (sub / "bad.pspec").write_text('tune 1\nprompt a {\n  text = "x"\n  stepz = 1\n}\n')
    os.symlink("..", sub / "loop")
    os.symlink("/", sub / "root")
    code, out, _ = _cli("lint")
    assert code == 1
    assert out.count("PS101") == 1


@pytest.mark.parametrize("pattern", [
    "**/" * 10 + "x", "a/**/" * 12 + "b", "**/a**/a**/a**/a**/a**/a**/a**/a**/a**/a**/b",
    "*a*a*a*a*a*a*a*a*a*a*a*b",
])
def test_crafted_ignore_patterns_match_in_linear_time(pattern: str) -> None:
    deep = "/".join(["a"] * 40) + "/" + "a" * 200 + ".pspec"
    ignore = IgnoreFile.from_lines([pattern])
    assert ignore.match(deep, False) is None


def test_ignore_patterns_follow_git(project: Path) -> None:
    ignore = IgnoreFile.from_lines(["build/", "*.tmp.pspec", "/top.pspec", "!keep.tmp.pspec",
                                    "[z-a]", "docs/**/old", "\\#x.pspec"])
    assert ignore.match("build", True) is True
    assert ignore.match("build", False) is None
    assert ignore.match("a/b.tmp.pspec", False) is True
    assert ignore.match("a/keep.tmp.pspec", False) is False
    assert ignore.match("top.pspec", False) is True
    assert ignore.match("sub/top.pspec", False) is None
    assert ignore.match("docs/old", True) is True
    assert ignore.match("docs/a/b/old/x.pspec", False) is True
    assert ignore.match("#x.pspec", False) is True
    assert wildcard("[!a-c]x", "dx") and not wildcard("[!a-c]x", "bx")
    (project / ".gitignore").write_text("[z-a]\n" + "**/" * 10 + "skip.pspec\n")
    (project / "skip.pspec").write_text("not a spec")
    (project / "ok.pspec").write_text(GOOD)
    code, _, err = _cli("lint")
    assert code == 0, err


def test_a_deep_preset_chain_and_a_long_import_chain(project: Path) -> None:
    lines = ["tune 1"]
    for i in range(3000):
        parent = f" : p{i - 1}" if i else ""
        lines.append(f"preset p{i}{parent} {{\n  steps = {i % 50}\n}}")
    lines.append('prompt a : p2999 {\n  text = "x"\n}')
    (project / "chain.pspec").write_text("\n".join(lines) + "\n")
    code, out, _ = _cli("expand", "chain.pspec")
    assert code == 0 and json.loads(out)["params"]["steps"] == 2999 % 50
    for i in range(1000):
        head = f'import "f{i + 1}.pspec"\n' if i < 999 else ""
        tail = 'tune 1\nprompt a : q999 {\n  text = "x"\n}\n' if i == 0 else ""
        (project / f"f{i}.pspec").write_text(f"{head}preset q{i} {{\n  seed = {i}\n}}\n{tail}")
    code, out, _ = _cli("expand", "f0.pspec")
    assert code == 0 and json.loads(out)["params"]["seed"] == 999


@pytest.mark.parametrize("content", [
    b'[tool.promptspec]\nselect = ["\xff"]\n',
    b"[tool.promptspec]\nx = " + b"[" * 5000 + b"]" * 5000 + b"\n",
])
def test_a_broken_pyproject_is_one_line_exit_2(project: Path, content: bytes) -> None:
    (project / "pyproject.toml").write_bytes(content)
    (project / "a.pspec").write_text(GOOD)
    for args in (["lint", "a.pspec"], ["run", "--dry-run", "a.pspec"]):
        code, out, err = _cli(*args)
        assert code == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and "pyproject.toml" in err


@pytest.mark.parametrize(("yaml_text", "words"), [
    ("tune: 1\npresets:\n  base: &b\n    steps: 5\nprompts:\n  a:\n    <<: *b\n    text: x\n",
     "merge keys"),
    ("tune: 1\nprompts:\n  a:\n    text: x\n---\ntune: 2\n", "one YAML document"),
])
def test_convert_refuses_what_lint_refuses(project: Path, yaml_text: str, words: str) -> None:
    (project / "m.pspec.yaml").write_text(yaml_text)
    code, out, _ = _cli("lint", "m.pspec.yaml")
    assert code == 1 and "PS007" in out and words in out
    code, out, err = _cli("convert", "m.pspec.yaml", "--to", "dsl")
    assert code == 1 and out == "" and "PS007" in err and words in err


def test_convert_of_an_alias_bomb_answers_at_once(project: Path) -> None:
    text = "tune: 1\nvars:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 30):
        text += f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n"
    (project / "bomb.pspec.yaml").write_text(text + "prompts:\n  a:\n    text: x\n")
    code, _, err = _cli("convert", "bomb.pspec.yaml", "--to", "dsl")
    assert code == 1 and "PS007" in err


def test_the_parser_cache_is_private_and_never_in_the_temp_folder(tmp_path: Path) -> None:
    tmp, cache = tmp_path / "tmp", tmp_path / "cache"
    tmp.mkdir()
    spec = tmp_path / "a.pspec"
    spec.write_text(GOOD)
    env = {**os.environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(cache)}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "promptspec", "lint", str(spec)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    assert list(tmp.iterdir()) == []
    folder = cache / "promptspec"
    assert folder.stat().st_mode & 0o777 == 0o700
    (entry,) = folder.iterdir()
    # a cache another user could have written is not trusted: it is left alone and unused
    entry.write_bytes(b"planted")
    entry.chmod(0o666)
    done = subprocess.run([sys.executable, "-m", "promptspec", "lint", str(spec)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert entry.read_bytes() == b"planted"


@pytest.fixture(scope="module")
def emu() -> Iterator[RunningEmulator]:
    with api.emulator(latency=0.05) as running:
        yield running


def test_the_emulator_answers_hostile_input_with_a_clean_4xx(emu: RunningEmulator) -> None:
    big = "9" * 5000
    with httpx.Client(base_url=emu.url, headers={"Authorization": "Bearer k"}) as c:
        answers = [
            c.get(f"/tunes/1/prompts/{big}"), c.get(f"/prompts/{big}"),
            c.delete(f"/tunes/1/prompts/{big}"), c.post(f"/tunes/{big}/prompts", json={}),
            c.post("/tunes/1/prompts", content='{"prompt":' + "[" * 100_000 + "]" * 100_000
                   + "}", headers={"content-type": "application/json"}),
            c.post("/tunes/1/prompts", content='{"prompt":{"text":"x","seed":' + big + "}}",
                   headers={"content-type": "application/json"}),
            c.post("/tunes/1/prompts", data={"prompt[text]": "x", "prompt[seed]": big}),
            c.get("/tunes/1/prompts", params={"offset": big}),
        ]
    for r in answers:
        assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
        assert "Traceback" not in r.text


def test_a_long_one_line_string_costs_memory_linear_in_its_size(tmp_path: Path) -> None:
    spec = tmp_path / "long.pspec"
    # 960,000 characters: as long as a text may render (lint renders plain text templates,
    # and one past 1,000,000 characters is PS301)
    spec.write_text('tune 1\nprompt a {\n  text = "' + "ab (cd) " * 120_000 + '"\n}\n')
    probe = ("import resource, sys\nfrom promptspec import api\n"
             "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "result = api.lint([sys.argv[1]])\n"
             "assert not result.diagnostics, result.diagnostics\n"
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(spec)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    grown_kb = int(done.stdout)
    assert grown_kb * 1024 < 40 * 960_000  # under 40 bytes a character (it was ~185)


def test_convert_carries_a_comment_yaml_cannot_hold(project: Path) -> None:
    (project / "c.pspec").write_bytes(b'# a\x00b\x01c\ntune 1\nprompt a {\n  text = "x"\n}\n')
    code, out, err = _cli("convert", "c.pspec", "--to", "yaml")
    assert code == 0, err
    assert "# a\ufffdb\ufffdc" in out


@pytest.mark.parametrize(("name", "body", "code"), [
    ("r.pspec.yaml", "tune: 1\nprompts:\n  a:\n    text: x\n    sweep: {seed: '1"
     + "." * 60_000 + "'}\n", "PS407"),
    ("s.pspec.yaml", "tune: 1\nprompts:\n  a:\n    text: x\n    sweep: {seed: '1"
     + " " * 30_000 + "x" * 30_000 + "'}\n", "PS007"),
    ("t.pspec", 'tune 1\nprompt a {\n  text = "' + "{#" * 60_000 + '"\n}\n', "PS301"),
    ("w.pspec", 'tune 1\nprompt a {\n  text = "(:' + "1" * 60_000 + '"\n}\n', "PS305"),
])
def test_crafted_strings_are_read_in_linear_time(project: Path, name: str, body: str,
                                                 code: str) -> None:
    (project / name).write_text(body)
    _, out, _ = _cli("lint", name)
    assert f" {code} " in out


def test_the_tag_scanner_agrees_with_a_lazy_expression() -> None:
    import random
    import re

    from promptspec.lint.rules._render import tags

    lazy = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
    rng = random.Random(7)
    for _ in range(3000):
        size = rng.randint(0, 14)
        text = "".join(rng.choice(["{", "}", "%", "#", "a", "\n"]) for _ in range(size))
        assert list(tags(text)) == [m.span() for m in lazy.finditer(text)], text
