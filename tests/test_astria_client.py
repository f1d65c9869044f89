"""Astria's official command-line client (third party, unmodified) against
`promptspec mock-server`, end to end: generate --wait, prompts list/get/wait, download.

The client lives beside the clone at `../shared/clients/astria` (or where
PROMPTSPEC_ASTRIA_CLIENT points; `.ci/run` sets it when the folder is there, and then its
absence fails). It needs `python3` and `curl`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).with_name("promptspec")


def _client() -> Path | None:
    configured = os.environ.get("PROMPTSPEC_ASTRIA_CLIENT")
    folder = Path(configured) if configured else ROOT.parent / "shared" / "clients" / "astria"
    script = folder / "astria"
    if script.is_file():
        return script
    if configured:
        pytest.fail(f"PROMPTSPEC_ASTRIA_CLIENT={configured} holds no astria client")
    return None


CLIENT = _client()
pytestmark = pytest.mark.skipif(CLIENT is None or shutil.which("curl") is None,
                                reason="Astria's client (../shared/clients/astria) or curl "
                                       "is not available")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    proc = subprocess.Popen([str(EXE), "mock-server", "--port", "0"], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        m = re.search(r"listening on (http://\S+)", line)
        assert m, line
        yield m.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def astria(url: str, tmp: Path, *args: str) -> Any:
    assert CLIENT is not None
    env = {**os.environ, "ASTRIA_BASE_URL": url, "ASTRIA_API_KEY": "test-key",
           "ASTRIA_CONFIG_DIR": str(tmp / "config"), "ASTRIA_NO_AUTO_UPGRADE": "1",
           "HOME": str(tmp)}
    proc = subprocess.run([sys.executable, str(CLIENT), *args], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:  # `prompts wait` prints one JSON object per line
        return [json.loads(ln) for ln in proc.stdout.splitlines() if ln.strip()]


def test_generate_wait_list_get_wait_download(server: str, tmp_path: Path) -> None:
    made = astria(server, tmp_path, "generate", "--model", "3618064", "--text",
                  "a lighthouse at dusk", "--resolution", "2K", "--num-images", "2", "--wait")
    assert made["resolution"] == "2K" and len(made["images"]) == 2
    pid = str(made["id"])
    listed = astria(server, tmp_path, "prompts", "list")
    assert [str(p["id"]) for p in listed][:1] == [pid] and listed[0]["resolution"] == "2K"
    by_tune = astria(server, tmp_path, "prompts", "list", "--tune-id", "3618064", "--text",
                     "LIGHTHOUSE")
    assert [str(p["id"]) for p in by_tune] == [pid]
    got = astria(server, tmp_path, "prompts", "get", pid, "--tune", "3618064")
    assert got["text"] == "a lighthouse at dusk" and got["images"] == made["images"]
    waited = astria(server, tmp_path, "prompts", "wait", pid)
    assert waited[0]["status"] == "done" and waited[-1]["succeeded"] == 1
    out = tmp_path / "images"
    report = astria(server, tmp_path, "download", pid, "--out", str(out))
    assert report["totals"]["downloaded"] == 2 and report["totals"]["failed"] == 0
    files = sorted(out.iterdir())
    assert len(files) == 2
    for f in files:
        with Image.open(f) as img:
            img.verify()
            assert img.format == "PNG"
