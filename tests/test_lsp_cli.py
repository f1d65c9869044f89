"""`promptspec lsp` as a process: exit 0 after `shutdown` and `exit`; exit 2 with one line
naming the extra when pygls is not installed."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from promptspec.cli import cli


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _messages(data: bytes) -> list[dict[str, Any]]:
    out = []
    while data:
        head, _, data = data.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
        out.append(json.loads(data[:length]))
        data = data[length:]
    return out


def test_negotiated_encoding_and_exit_0_after_shutdown(tmp_path: Path) -> None:
    """A client that asks for UTF-32 gets code-point columns; shutdown then exit is 0."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    spec = tmp_path / "a.pspec.yaml"
    text = 'version: 1\ntune: 7\nprompts:\n  a: {text: "🦊🦊", stepz: 3}\n'
    caps = {"general": {"positionEncodings": ["utf-32"]}}
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": caps}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": spec.as_uri(), "languageId": "yaml", "version": 1, "text": text}}},
        # a request on the file answers after its diagnostics are out
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/documentSymbol",
         "params": {"textDocument": {"uri": spec.as_uri()}}},
        {"jsonrpc": "2.0", "id": 3, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    done = subprocess.run([sys.executable, "-m", "promptspec", "lsp"],
                          input=b"".join(_frame(m) for m in messages), capture_output=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr
    got = _messages(done.stdout)
    answers = {m["id"]: m for m in got if "id" in m}
    assert answers[1]["result"]["capabilities"]["positionEncoding"] == "utf-32"
    assert answers[3]["result"] is None
    (published,) = [m["params"] for m in got
                    if m.get("method") == "textDocument/publishDiagnostics"]
    places = sorted((d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"],
                     d["range"]["end"]["character"]) for d in published["diagnostics"])
    # in UTF-32, columns are code points (in UTF-16, each fox before stepz counts two)
    start = text.splitlines()[3].index("stepz")
    assert places == [("PS101", 3, start, start + len("stepz"))]


def test_without_the_extra_exit_2_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "pygls" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    r = CliRunner().invoke(cli, ["lsp"])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'promptspec[lsp]'" in lines[0]
