"""`expand --format curl`: the printed commands, run by a real shell and curl against the
emulator, deliver every value unchanged, whatever it holds."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import invoke, write

from promptspec import api
from promptspec.emulator import RunningEmulator
from promptspec.request import request_id

TRICKY = [
    'say "cheese" and \\"escape\\"',
    "costs $HOME and `whoami` and $(id)",
    "<lora:123:1> a portrait",
    "@mention the file",
    "two\nlines\twith tab",
    "semi;type=text/html",
    "it's a 'quote'",
    "naïve café 日本",
]


def test_curl_commands_deliver_every_value(tmp_path: Path, emulator: RunningEmulator,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 't'\n")
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "in.png").write_bytes(b"\x89PNG fake image bytes")
    items = ", ".join('"' + t.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                      .replace("\t", "\\t") + '"' for t in TRICKY)
    (tmp_path / "c.pspec").write_text(
        "tune 77\nprompt p {\n  text = \"{{ words }}\"\n  cfg_scale = 7\n"
        "  super_resolution = true\n  negative_prompt = \"@blurry\"\n"
        '  input_image = file("refs/in.png")\n  controlnet = "pose"\n'
        f"  sweep {{\n    words = [{items}]\n  }}\n}}\n"
    )
    monkeypatch.chdir(tmp_path)
    requests = list(api.expand(["c.pspec"]))
    printed = invoke("expand", "c.pspec", "--format", "curl", "--base-url", emulator.url)
    assert printed.exit_code == 0, printed.stderr
    out = printed.stdout
    assert "secret-key-value" not in out and "$ASTRIA_API_KEY" in out
    env = {**os.environ, "ASTRIA_API_KEY": "secret-key-value"}
    script = out.replace("curl -X POST", "curl -sS --fail -o /dev/null -X POST")
    subprocess.run(["bash", "-e", "-c", script], env=env, check=True, cwd=tmp_path,
                   timeout=60)
    records = sorted(emulator.state.prompts, key=lambda r: r.id)
    assert len(records) == len(requests) == len(TRICKY)
    for record, request in zip(records, requests, strict=True):
        assert record.tune_id == 77
        assert dict(record.params) == request.params
        assert request_id(record.tune_id, dict(record.params)) == request.id


def test_expand_curl_quotes_any_text(project: Path) -> None:
    import shlex

    text = "it's $HOME `ls` \"q\"\nline2"
    write(project, {"c.pspec": """
        tune 1
        prompt p {
          text = "it's $HOME `ls` \\"q\\"\\nline2"
          negative_prompt = "<bad"
          super_resolution = true
        }
        """})
    r = invoke("expand", "c.pspec", "--format", "curl")
    words = shlex.split(r.stdout.replace("\\\n", " "))
    assert words[:6] == ["curl", "-X", "POST", "-H", "Authorization: Bearer $ASTRIA_API_KEY",
                         "https://api.astria.ai/tunes/1/prompts"]
    assert words[6:] == ["-F", f"prompt[text]={text}", "--form-string",
                         "prompt[negative_prompt]=<bad", "-F", "prompt[super_resolution]=true"]
