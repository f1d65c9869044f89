"""The lint cache and `--jobs`: the same findings, order and exit code with and without the
cache and for every number of jobs, in every format; what invalidates an entry; and that
nothing in the cache is trusted that could have been tampered with."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from promptspec.cli import cli
from promptspec.lint import file_check, workers
from promptspec.lint.cache import FOLDER_NAME, FORMAT

CONFORMANCE = Path(__file__).parent / "data" / "conformance"
ARTISTS = ["Van Gogh", "Monet", "Vermeer", "Hokusai", "Klimt"]
PLANTED = ["steps: 75", "w: 500", "colour: red", 'aspect_ratio: "2:7"', "scheduler: fast"]


def yaml_spec(i: int) -> str:
    """A spec of the benchmark's shape: presets, templates, sweeps, some planted errors."""
    lines = ["version: 1", f"tune: {1000 + i}", "vars:", "  subject: ohwx man", "presets:",
             "  base:", '    negative_prompt: "old, blurry"', "    super_resolution: true",
             "  portrait:", "    extends: base", '    aspect_ratio: "2:3"', "prompts:"]
    for p in range(3):
        steps = PLANTED[(i + p) % len(PLANTED)] if (i + p) % 4 == 0 else "steps: 30"
        lines += [f"  p{p}:", "    extends: portrait",
                  f'    text: "a painting of {{{{ subject }}}}, no. {p}, after {{{{ artist }}}}"',
                  f"    {steps}", "    sweep:", f"      seed: 1..{2 + p}",
                  f"      artist: [{', '.join(ARTISTS[p:p + 2])}]"]
    return "\n".join(lines) + "\n"


def dsl_spec(i: int) -> str:
    extra = "  num_images = 9\n" if i % 3 == 0 else ""
    return (f'import "shared.pspec"\n\ntune {2000 + i}\n\nprompt q{i} : look {{\n'
            f'  text = "a fox, {{{{ mood }}}}"\n{extra}  sweep {{\n'
            '    mood = ["calm", "wild"]\n  }\n}\n')


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "corpus"\n')
    (root / "specs" / "shared.pspec").write_text(
        'preset look {\n  cfg_scale = 7\n  steps = 30\n}\n')
    for i in range(24):
        (root / "specs" / f"y{i:02}.pspec.yaml").write_text(yaml_spec(i))
    for i in range(12):
        (root / "specs" / f"d{i:02}.pspec").write_text(dsl_spec(i))
    return root


@pytest.fixture
def conformance(tmp_path: Path) -> Path:
    root = tmp_path / "cases"
    shutil.copytree(CONFORMANCE, root)
    (root / "pyproject.toml").write_text('[project]\nname = "cases"\n')
    return root


def lint(root: Path, *args: str) -> Result:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, ["lint", *args], catch_exceptions=False)
    finally:
        os.chdir(cwd)


def outputs(root: Path, fmt: str, *args: str) -> tuple[int, str]:
    r = lint(root, "--format", fmt, *args)
    return r.exit_code, r.stdout


def buckets(folder: Path) -> list[Path]:
    return sorted((folder / "lint").glob("bucket-*.json"))


def entries(root: Path, folder: str = FOLDER_NAME) -> dict[str, object]:
    """Every entry the cache holds, by name."""
    out: dict[str, object] = {}
    for bucket in buckets(root / folder):
        data = json.loads(bucket.read_text())
        assert data["format"] == FORMAT
        out.update(data["entries"])
    return out


@pytest.mark.parametrize("case", ["corpus", "conformance"])
def test_findings_are_the_same_with_and_without_the_cache_and_for_every_jobs(
        case: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    root: Path = request.getfixturevalue(case)
    monkeypatch.setattr(workers, "FILES_PER_WORKER", 1)  # workers even for a few files
    # Every way of reaching the findings, in json (which prints all of them); then every
    # other format from workers and from the cache that those runs filled.
    plain = outputs(root, "json", "--no-cache", "--jobs", "1")
    assert plain[0] == 1 and plain[1]
    assert not (root / FOLDER_NAME).exists()  # --no-cache writes nothing
    runs = {
        "no cache, 2 jobs": outputs(root, "json", "--no-cache", "--jobs", "2"),
        "cold, 1 job": outputs(root, "json", "--jobs", "1"),
        "warm, 1 job": outputs(root, "json", "--jobs", "1"),
    }
    kept = entries(root)
    shutil.rmtree(root / FOLDER_NAME)
    runs["cold, 3 jobs"] = outputs(root, "json", "--jobs", "3")
    assert entries(root) == kept  # what the workers made, written by the parent
    runs["warm, 2 jobs"] = outputs(root, "json", "--jobs", "2")
    for name, got in runs.items():
        assert got == plain, f"json, {name}"
    for fmt in ("sarif", "github", "text"):
        plain = outputs(root, fmt, "--no-cache", "--jobs", "1")
        assert plain[0] == 1 and plain[1]
        assert outputs(root, fmt, "--no-cache", "--jobs", "2") == plain, f"{fmt}, 2 jobs"
        assert outputs(root, fmt, "--jobs", "2") == plain, f"{fmt}, warm"
    # statistics and a selection on top of a full cache
    assert outputs(root, "json", "--statistics") == outputs(root, "json", "--statistics",
                                                            "--no-cache")
    assert outputs(root, "json", "--select", "PS1") == outputs(root, "json", "--select", "PS1",
                                                               "--no-cache")


def test_a_hit_does_not_parse(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = outputs(corpus, "json", "--jobs", "1")
    assert len(entries(corpus)) == 37
    assert (corpus / FOLDER_NAME / ".gitignore").read_text().splitlines()[-1] == "*"

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed a file the cache holds")

    monkeypatch.setattr(file_check, "load_bytes", refuse)
    monkeypatch.setattr(file_check, "check", refuse)
    assert outputs(corpus, "json", "--jobs", "1") == first


def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the rules run on from now on (in this process)."""
    seen: list[str] = []
    real = file_check.check

    def spy(path: str, *args: object, **kwargs: object) -> object:
        seen.append(Path(path).name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(file_check, "check", spy)
    return seen


def test_what_invalidates_an_entry(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = corpus / "specs"
    lint(corpus, "--jobs", "1")
    seen = checked(monkeypatch)
    lint(corpus, "--jobs", "1")
    assert seen == []
    # the file itself
    (specs / "y03.pspec.yaml").write_text(yaml_spec(3).replace("steps: 30", "steps: 31", 1))
    lint(corpus, "--jobs", "1")
    assert seen == ["y03.pspec.yaml"]
    # an imported file: every importer again
    seen.clear()
    (specs / "shared.pspec").write_text('preset look {\n  cfg_scale = 7\n  steps = 99\n}\n')
    r = lint(corpus, "--jobs", "1", "--format", "json")
    assert sorted(seen) == sorted(["shared.pspec"] + [f"d{i:02}.pspec" for i in range(12)])
    assert any(f["code"] == "PS103" and "steps" in f["message"] for f in json.loads(r.stdout))
    # a file named with file(...), and an import that appears
    seen.clear()
    (specs / "f.pspec").write_text('import "later.pspec"\n\ntune 1\n\nprompt f {\n'
                                   '  text = "a fox"\n  input_image = file("ref.png")\n}\n')
    first = lint(corpus, "--jobs", "1", "--format", "json", "specs/f.pspec").stdout
    assert "not found" in first
    lint(corpus, "--jobs", "1", "specs/f.pspec")
    assert seen == ["f.pspec"]
    (specs / "ref.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    lint(corpus, "--jobs", "1", "specs/f.pspec")
    assert seen == ["f.pspec", "f.pspec"]
    (specs / "later.pspec").write_text('preset late {\n  steps = 20\n}\n')
    lint(corpus, "--jobs", "1", "specs/f.pspec")
    assert seen == ["f.pspec", "f.pspec", "f.pspec"]
    # the configuration: every file again, but a selection on the command line is no change
    lint(corpus, "--jobs", "1")
    seen.clear()
    lint(corpus, "--jobs", "1", "--select", "PS1")
    assert seen == []
    (corpus / "pyproject.toml").write_text('[tool.promptspec]\nmax-requests = 500\n')
    lint(corpus, "--jobs", "1")
    assert len(seen) == len(list(specs.iterdir())) - 1  # all but ref.png


def damage(root: Path, how: str) -> None:
    for bucket in buckets(root / FOLDER_NAME):
        data = json.loads(bucket.read_text())
        kept = data["entries"]
        if how == "garbage":
            bucket.write_bytes(b"\x00not json{")
        elif how == "wrong shape":
            data["entries"] = {name: {"key": "x", "deps": 3, "findings": []} for name in kept}
            bucket.write_text(json.dumps(data))
        elif how == "not a table":
            data["entries"] = [7]
            bucket.write_text(json.dumps(data))
        elif how == "forged findings":
            for entry in kept.values():
                entry["findings"] = [["PS999", 1, "p", "x", 1, 1, 1, None, "error", None]]
            bucket.write_text(json.dumps(data))
        elif how == "older format":
            data["format"] = FORMAT - 1
            for entry in kept.values():
                entry["findings"] = []
            bucket.write_text(json.dumps(data))
        elif how == "link":
            target = bucket.with_suffix(".elsewhere")
            bucket.rename(target)
            bucket.symlink_to(target)


@pytest.mark.parametrize("how", ["garbage", "wrong shape", "not a table", "forged findings",
                                 "older format", "link"])
def test_a_damaged_entry_is_ignored_and_rewritten(corpus: Path, how: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first = outputs(corpus, "json", "--jobs", "1")
    damage(corpus, how)
    seen = checked(monkeypatch)
    assert outputs(corpus, "json", "--jobs", "1") == first
    assert len(seen) == 37
    for bucket in buckets(corpus / FOLDER_NAME):
        assert not bucket.is_symlink()
    assert len(entries(corpus)) == 37
    seen.clear()
    assert outputs(corpus, "json", "--jobs", "1") == first
    assert seen == []


def test_a_cache_others_could_write_is_not_used(corpus: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    first = outputs(corpus, "json", "--jobs", "1")
    seen = checked(monkeypatch)
    folder = corpus / FOLDER_NAME
    folder.chmod(0o777)
    for bucket in buckets(folder):
        bucket.unlink()
    assert outputs(corpus, "json", "--jobs", "1") == first
    assert len(seen) == 37 and entries(corpus) == {}  # neither read nor written
    folder.chmod(0o700)
    outputs(corpus, "json", "--jobs", "1")
    seen.clear()
    # entries another user owns
    monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 4242)
    assert outputs(corpus, "json", "--jobs", "1") == first
    assert len(seen) == 37


def test_cache_dir_from_the_configuration(corpus: Path) -> None:
    (corpus / "pyproject.toml").write_text('[tool.promptspec]\ncache-dir = "build/lint-cache"\n')
    lint(corpus, "--jobs", "1")
    assert not (corpus / FOLDER_NAME).exists()
    assert len(entries(corpus, "build/lint-cache")) == 37
    (corpus / "pyproject.toml").write_text("[tool.promptspec]\ncache-dir = 7\n")
    r = lint(corpus)
    assert r.exit_code == 2 and "cache-dir" in r.stderr


def test_fix_and_fmt_drop_what_they_rewrite(corpus: Path) -> None:
    (corpus / "specs" / "w.pspec").write_text(
        'tune 1\n\nprompt w {\n  text = "a fox"\n  w = 500\n  h = 512\n}\n')
    lint(corpus, "--jobs", "1")
    before = entries(corpus)
    r = lint(corpus, "--jobs", "1", "--fix", "specs/w.pspec")
    assert "Fixed 1 finding." in r.stderr
    assert "w = 504" in (corpus / "specs" / "w.pspec").read_text()
    after = entries(corpus)
    changed = [n for n in before if before[n] != after.get(n)]
    assert len(changed) == 1  # the fixed file's entry, checked again and stored anew
    (corpus / "specs" / "w.pspec").write_text('tune 1\nprompt w {\ntext = "a fox"\n}\n')
    lint(corpus, "--jobs", "1", "specs/w.pspec")
    count = len(entries(corpus))
    cwd = os.getcwd()
    os.chdir(corpus)
    try:
        r = CliRunner().invoke(cli, ["fmt", "specs/w.pspec"], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert r.exit_code == 0
    assert len(entries(corpus)) == count - 1


def test_jobs_must_be_positive(corpus: Path) -> None:
    r = lint(corpus, "--jobs", "0")
    assert r.exit_code == 2


def test_workers_pay_only_for_enough_files() -> None:
    assert workers.workers_for(10, 2) == 0
    assert workers.workers_for(1000, 1) == 0
    assert workers.workers_for(1000, 2) == 2
    assert workers.workers_for(3 * workers.FILES_PER_WORKER, 8) == 3
    assert workers.usable_cpus() >= 1


def test_the_api_profile_is_part_of_the_key(corpus: Path) -> None:
    (corpus / "specs" / "r.pspec").write_text(
        'tune 1\n\nprompt r {\n  text = "a fox"\n  resolution = "2K"\n}\n')

    def codes(*args: str) -> list[str]:
        r = lint(corpus, "--jobs", "1", "--format", "json", *args, "specs/r.pspec")
        return [f["code"] for f in json.loads(r.stdout)]

    for _ in range(2):  # cold, then warm: neither profile's findings leak into the other's
        assert "PS101" in codes("--api", "reference")
        assert "PS101" not in codes("--api", "current")
        assert "PS101" not in codes()
    (corpus / "pyproject.toml").write_text('[tool.promptspec]\napi = "reference"\n')
    assert "PS101" in codes()


def test_checking_many_files_leaves_the_collector_as_it_found_it(corpus: Path) -> None:
    import gc

    before = gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()
    with contextlib.chdir(corpus):
        from promptspec import api

        specs = sorted(str(p.relative_to(corpus)) for p in corpus.rglob("*")
                       if p.name.endswith((".pspec", ".pspec.yaml")))
        assert len(specs) > 10
        api.lint(specs, jobs=1)
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == before
