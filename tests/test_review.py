"""`lock`, `lock --check` and `diff` in a throw-away git repository, driven like a user:
`git` on the command line, promptspec through its CLI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from promptspec.cli import cli

COMMON = """\
preset base {
  num_images = 2
  steps = 30
}
"""

PORTRAITS = """\
import "../presets/common.pspec"

tune 1234

prompt van_gogh : base {
  text = "a painting of a fox by {{ artist }}"
  vars { artist = "Van Gogh" }
  sweep {
    seed = 1..4
    cfg_scale = [5, 7]
  }
}

prompt hare {
  text = "a hare"
}
"""

LANDSCAPES = """\
tune: 99
prompts:
  dunes:
    text: "dunes at dusk"
    num_images: 3
    sweep:
      seed: [1, 2, 3]
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def write(repo: Path, name: str, text: str) -> None:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.name", "Reviewer")
    git(root, "config", "user.email", "reviewer@example.com")
    git(root, "config", "commit.gpgsign", "false")
    write(root, "pyproject.toml", '[project]\nname = "specs"\n')
    write(root, "presets/common.pspec", COMMON)
    write(root, "specs/portraits.pspec", PORTRAITS)
    write(root, "specs/landscapes.pspec.yaml", LANDSCAPES)
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def expanded(*specs: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """`expand --format jsonl` of the specs, grouped by (spec, prompt)."""
    r = run("expand", "--format", "jsonl", *specs)
    assert r.exit_code == 0, r.output
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in r.stdout.splitlines():
        req = json.loads(line)
        out[(req["spec"], req["prompt"])].append(req)
    return out


SPECS = ("specs/landscapes.pspec.yaml", "specs/portraits.pspec")


def lock_lines(repo: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (repo / "promptspec.lock").read_text().splitlines()]


# -- lock -----------------------------------------------------------------------------------


def test_lock_digest_is_the_sha256_of_expand_ids(repo: Path) -> None:
    r = run("lock")
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    lines = lock_lines(repo)
    requests = expanded(*SPECS)
    assert [(x["spec"], x["prompt"]) for x in lines] == sorted(requests)
    for line in lines:
        reqs = requests[(line["spec"], line["prompt"])]
        ids = "".join(req["id"] + "\n" for req in reqs)
        assert line["digest"] == "sha256:" + hashlib.sha256(ids.encode()).hexdigest()
        assert line["requests"] == len(reqs)
        assert line["images"] == sum(req["params"].get("num_images", 1) for req in reqs)
    assert [list(x) for x in lines] == [["spec", "prompt", "requests", "images", "digest"]] * 3
    assert {x["prompt"]: x["images"] for x in lines} == {"dunes": 9, "hare": 1, "van_gogh": 16}


def test_lock_twice_is_byte_identical(repo: Path) -> None:
    assert run("lock").exit_code == 0
    first = (repo / "promptspec.lock").read_bytes()
    assert run("lock").exit_code == 0
    assert (repo / "promptspec.lock").read_bytes() == first
    assert first.endswith(b"\n") and first.count(b"\n") == 3


def test_lock_of_some_paths_keeps_the_other_lines(repo: Path) -> None:
    assert run("lock").exit_code == 0
    before = lock_lines(repo)
    write(repo, "specs/landscapes.pspec.yaml", LANDSCAPES.replace("[1, 2, 3]", "[1, 2]"))
    (repo / "specs/portraits.pspec").write_text(PORTRAITS.replace("1..4", "1..5"))
    assert run("lock", "specs/landscapes.pspec.yaml").exit_code == 0
    after = lock_lines(repo)
    assert after[0]["requests"] == 2  # relocked
    assert after[1:] == before[1:]  # portraits kept as they were, though stale
    r = run("lock", "--check")
    assert r.exit_code == 1
    assert r.stdout == "specs/portraits.pspec:5:8: PS408 prompt 'van_gogh' is stale in " \
                       "promptspec.lock: 10 requests, 20 images, locked 8 requests, 16 " \
                       "images; run `promptspec lock`\n"


def test_lock_refuses_a_spec_with_lint_errors(repo: Path) -> None:
    write(repo, "specs/broken.pspec", 'tune 1\nprompt p {\n  text = "x"\n  steps = 99\n}\n')
    r = run("lock")
    assert r.exit_code == 1
    assert "specs/broken.pspec:4:11: PS103" in r.output
    assert not (repo / "promptspec.lock").exists()


def test_lock_check_catches_changed_sweep_removed_and_added_prompts(repo: Path) -> None:
    r = run("lock", "--check")
    assert r.exit_code == 1  # no lock file: every prompt is missing
    assert sorted(line.split(": PS408 ")[0] for line in r.stdout.splitlines()) == [
        "specs/landscapes.pspec.yaml:3:3", "specs/portraits.pspec:14:8",
        "specs/portraits.pspec:5:8"]
    assert all("missing from promptspec.lock" in line for line in r.stdout.splitlines())

    assert run("lock").exit_code == 0
    locked = (repo / "promptspec.lock").read_bytes()
    clean = run("lock", "--check")
    assert (clean.exit_code, clean.stdout) == (0, "")

    # a changed sweep value: same count, other requests
    (repo / "specs/portraits.pspec").write_text(PORTRAITS.replace("[5, 7]", "[5, 8]"))
    r = run("lock", "--check")
    assert r.exit_code == 1
    assert r.stdout == ("specs/portraits.pspec:5:8: PS408 prompt 'van_gogh' is stale in "
                        "promptspec.lock: its requests changed; run `promptspec lock`\n")
    assert (repo / "promptspec.lock").read_bytes() == locked  # --check writes nothing

    # a removed prompt: at the lock file's line
    (repo / "specs/portraits.pspec").write_text(PORTRAITS.split("prompt hare")[0])
    r = run("lock", "--check")
    assert r.exit_code == 1
    assert r.stdout == ("promptspec.lock:2:1: PS408 locked prompt 'hare' of "
                        "specs/portraits.pspec no longer exists; run `promptspec lock`\n")

    # an added prompt: at its name
    (repo / "specs/portraits.pspec").write_text(PORTRAITS + '\nprompt owl {\n  text = "x"\n}\n')
    r = run("lock", "--check")
    assert r.exit_code == 1
    assert r.stdout == ("specs/portraits.pspec:18:8: PS408 prompt 'owl' is missing from "
                        "promptspec.lock (1 request, 1 image); run `promptspec lock`\n")

    # a change in an imported preset makes its importer stale
    (repo / "specs/portraits.pspec").write_text(PORTRAITS)
    write(repo, "presets/common.pspec", COMMON.replace("steps = 30", "steps = 31"))
    r = run("lock", "--check")
    assert r.exit_code == 1
    assert r.stdout.startswith("specs/portraits.pspec:5:8: PS408 prompt 'van_gogh' is stale")
    # a deleted spec's lines are orphans
    write(repo, "presets/common.pspec", COMMON)
    (repo / "specs/landscapes.pspec.yaml").unlink()
    r = run("lock", "--check")
    assert r.exit_code == 1
    assert r.stdout.startswith("promptspec.lock:1:1: PS408 locked prompt 'dunes' of "
                               "specs/landscapes.pspec.yaml no longer exists")
    assert (repo / "promptspec.lock").read_bytes() == locked


def test_rules_explains_ps408(repo: Path) -> None:
    r = run("rules", "PS408")
    assert r.exit_code == 0
    assert r.stdout.startswith("PS408 stale-lock (error)")
    assert "Bad:" in r.stdout and "Good:" in r.stdout


# -- diff -----------------------------------------------------------------------------------


def ids_by_prompt(requests: dict[tuple[str, str], list[dict[str, Any]]]
                  ) -> dict[tuple[str, str], dict[str, int]]:
    return {key: {r["id"]: r["params"].get("num_images", 1) for r in reqs}
            for key, reqs in requests.items()}


def diff_json(*args: str) -> dict[str, Any]:
    r = run("diff", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    out: dict[str, Any] = json.loads(r.stdout)
    return out


def test_diff_counts_match_the_sets_of_expand_ids(repo: Path) -> None:
    write(repo, "specs/gone.pspec", 'tune 5\nprompt old {\n  text = "old"\n}\n')
    first = commit(repo, "specs")
    before = ids_by_prompt(expanded(*SPECS, "specs/gone.pspec"))

    # an imported preset changes, a sweep changes, a spec is deleted, an untracked one appears
    write(repo, "presets/common.pspec", COMMON.replace("num_images = 2", "num_images = 3"))
    write(repo, "specs/landscapes.pspec.yaml", LANDSCAPES.replace("[1, 2, 3]", "[2, 3, 4, 5]"))
    (repo / "specs/gone.pspec").unlink()
    write(repo, "specs/new.pspec", 'tune 5\nprompt fresh {\n  text = "new"\n  num_images = 4\n}\n')
    status = git(repo, "status", "--porcelain")
    after = ids_by_prompt(expanded(*SPECS, "specs/new.pspec"))

    got = diff_json()
    assert git(repo, "status", "--porcelain") == status  # the working tree is untouched
    assert (repo / "presets/common.pspec").read_text().count("num_images = 3") == 1

    want = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, {}), after.get(key, {})
        added = [i for i in new if i not in old]
        removed = [i for i in old if i not in new]
        if added or removed:
            want.append({"spec": key[0], "prompt": key[1], "added": len(added),
                         "removed": len(removed),
                         "images_added": sum(new[i] for i in added),
                         "images_removed": sum(old[i] for i in removed),
                         "added_ids": added, "removed_ids": removed})
    assert got["prompts"] == want
    assert [(p["prompt"], p["added"], p["removed"]) for p in want] == [
        ("old", 0, 1), ("dunes", 2, 1), ("fresh", 1, 0), ("van_gogh", 8, 8)]
    assert got["totals"] == {"added": 11, "removed": 10,
                             "images_added": 4 + 6 + 24, "images_removed": 1 + 3 + 16}

    # the same against an explicit older revision, after a further commit
    commit(repo, "changes")
    write(repo, "specs/new.pspec", 'tune 5\nprompt fresh {\n  text = "newer"\n}\n')
    assert diff_json(first)["totals"]["added"] == 11
    assert diff_json(first, "specs/landscapes.pspec.yaml")["prompts"] == [want[1]]
    only_new = diff_json("specs/new.pspec")["prompts"]
    assert [(p["prompt"], p["added"], p["removed"]) for p in only_new] == [("fresh", 1, 1)]


def test_diff_cost_formats_and_exit_codes(repo: Path) -> None:
    write(repo, "pyproject.toml",
          '[project]\nname = "specs"\n[tool.promptspec]\ncost-per-image-mc = 250\n'
          "max-requests = 4\n")
    commit(repo, "specs")
    unchanged = run("diff", "--exit-code")
    assert (unchanged.exit_code, unchanged.stdout) == (0, "")
    md = run("diff", "--format", "markdown")
    assert md.stdout == ("### promptspec diff: `HEAD` → working tree\n\n"
                         "No prompt's requests changed.\n")

    write(repo, "specs/landscapes.pspec.yaml", LANDSCAPES.replace("[1, 2, 3]", "[1, 2]"))
    write(repo, "specs/portraits.pspec", PORTRAITS.replace("1..4", "1..5"))
    got = diff_json()
    dunes, van_gogh = got["prompts"]
    assert (dunes["removed"], dunes["images_removed"], dunes["cost_mc"]) == (1, 3, -750)
    assert "removed_ids" in dunes  # 3 requests: within max-requests
    assert (van_gogh["added"], van_gogh["cost_mc"]) == (2, 4 * 250)
    assert "added_ids" not in van_gogh and "removed_ids" not in van_gogh  # 10 > max-requests
    assert got["totals"]["cost_mc"] == 250

    text = run("diff")
    assert text.exit_code == 0
    assert text.stdout.splitlines()[1].split() == [
        "specs/landscapes.pspec.yaml", "dunes", "0", "1", "0", "3", "-750"]
    assert text.stdout.splitlines()[-1].split() == ["total", "2", "1", "4", "3", "+250"]
    md = run("diff", "HEAD", "--format", "markdown").stdout
    assert "| specs/portraits.pspec | van_gogh | 2 | 0 | 4 | 0 | +1000 |" in md
    assert "| **total** | | **2** | **1** | **4** | **3** | **+250** |" in md
    assert run("diff", "--exit-code").exit_code == 1


def test_diff_bad_revision_bad_path_and_outside_git(repo: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    commit(repo, "specs")
    r = run("diff", "no-such-rev")
    assert r.exit_code == 2
    assert r.output == "'no-such-rev' is not a revision, nor a path in the working tree " \
                       "or at HEAD\n"
    assert run("diff", "HEAD", "nowhere/").exit_code == 2
    assert run("diff", "HEAD~5").exit_code == 2
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    r = run("diff")
    assert r.exit_code == 2
    assert "is not inside a git repository" in r.output


def test_diff_refuses_specs_with_lint_errors(repo: Path) -> None:
    commit(repo, "specs")
    write(repo, "specs/portraits.pspec", PORTRAITS.replace("steps", "stepz"))
    write(repo, "presets/common.pspec", COMMON.replace("steps", "stepz"))
    r = run("diff")
    assert r.exit_code == 1
    assert "presets/common.pspec:3:3: PS101" in r.output
    commit(repo, "broken")  # the errors now at the revision
    write(repo, "specs/portraits.pspec", PORTRAITS)
    write(repo, "presets/common.pspec", COMMON)
    r = run("diff")
    assert r.exit_code == 1
    assert r.output.startswith("at HEAD:\n") and "presets/common.pspec:3:3: PS101" in r.output


def test_cost_per_image_mc_must_be_a_non_negative_integer(repo: Path) -> None:
    write(repo, "pyproject.toml", '[project]\nname = "s"\n[tool.promptspec]\n'
                                  'cost-per-image-mc = "cheap"\n')
    commit(repo, "specs")
    for args in (("lint",), ("diff",)):
        r = run(*args)
        assert r.exit_code == 2
        assert "cost-per-image-mc must be a non-negative integer" in r.output


def test_lock_check_honours_configuration_and_suppression_comments(repo: Path) -> None:
    assert run("lock").exit_code == 0
    (repo / "specs/portraits.pspec").write_text(
        PORTRAITS.replace("prompt van_gogh : base {", "prompt van_gogh : base {  "
                          "# promptspec: ignore[PS408]").replace("1..4", "1..5"))
    write(repo, "specs/landscapes.pspec.yaml", LANDSCAPES.replace("[1, 2, 3]", "[1, 2]"))
    r = run("lock", "--check")
    assert r.exit_code == 1
    assert [line.split(": PS408")[0] for line in r.stdout.splitlines()] == [
        "specs/landscapes.pspec.yaml:3:3"]
    write(repo, "pyproject.toml", '[project]\nname = "specs"\n[tool.promptspec]\n'
                                  'per-file-ignores = { "specs/*.yaml" = ["PS408"] }\n')
    r = run("lock", "--check")
    assert (r.exit_code, r.stdout) == (0, "")
