"""The `promptspec-lock` pre-commit hook, run by pre-commit as a user's repository runs it.

The hook repository is this checkout as `pre-commit try-repo` takes it (its HEAD, or a clone
with the uncommitted changes committed: pre-commit's own `_repo_ref`), named in a
configuration that both runs share with one pre-commit home, so the hook's environment is
installed once, not once per run as `try-repo` (a store in a temporary folder) would.

pre-commit installs the hook into a fresh virtualenv with pip. So that the test needs no
network and no package index, pip is pointed at nothing (no index, no configuration) and
finds the build backend already installed in the test's environment (through PYTHONPATH),
building without isolation; the hook runs with the test environment's dependencies on that
path, so pip is spared resolving them again (`PIP_NO_DEPS`: about a second per install).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptspec.cli import cli

SOURCE = Path(__file__).resolve().parents[1]
SPEC = 'tune 7\n\nprompt fox {\n  text = "a fox"\n  sweep {\n    seed = [1, 2]\n  }\n}\n'


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def hook_config(tmp: Path) -> Path:
    """A configuration naming the `promptspec-lock` hook of this checkout, as `try-repo`
    writes it."""
    from pre_commit.commands.try_repo import _repo_ref

    repo, rev = _repo_ref(str(tmp), str(SOURCE), None)
    config = tmp / "pre-commit-config.yaml"  # JSON is YAML
    config.write_text(json.dumps({"repos": [{"repo": repo, "rev": rev,
                                             "hooks": [{"id": "promptspec-lock"}]}]}))
    return config


def pre_commit(repo: Path, config: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUALENV_"))}
    env.update(CI="true", PRE_COMMIT_HOME=str(home), PIP_CONFIG_FILE=os.devnull,
               PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_DEPS="1", PYTHONPATH=sysconfig.get_paths()["purelib"])
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--config", str(config), "--all-files"],
        cwd=repo, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=600)


def test_the_hook_fails_on_a_stale_lock_and_passes_on_a_fresh_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "specs"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Reviewer")
    git(repo, "config", "user.email", "reviewer@example.com")
    (repo / "pyproject.toml").write_text('[project]\nname = "specs"\n')
    (repo / "fox.pspec").write_text(SPEC)
    monkeypatch.chdir(repo)
    assert CliRunner().invoke(cli, ["lock"]).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "specs and lock")

    (repo / "fox.pspec").write_text(SPEC.replace("[1, 2]", "[1, 2, 3]"))
    git(repo, "add", "-A")
    config = hook_config(tmp_path)
    stale = pre_commit(repo, config, tmp_path / "cache")
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "fox.pspec:3:8: PS408 prompt 'fox' is stale in promptspec.lock: 3 requests" \
        in stale.stdout

    assert CliRunner().invoke(cli, ["lock"]).exit_code == 0
    git(repo, "add", "-A")
    fresh = pre_commit(repo, config, tmp_path / "cache")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "promptspec lock --check" in fresh.stdout and "Passed" in fresh.stdout
