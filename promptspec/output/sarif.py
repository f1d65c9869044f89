"""`--format sarif`: a SARIF 2.1.0 log that GitHub code scanning accepts.

Every rule of the catalogue is listed under `tool.driver.rules`; each result points at
its rule by id and index. Locations are relative to `%SRCROOT%`, the work tree's top
(the nearest folder above the current one holding `.git`, else the current folder), with
forward slashes, so that code scanning finds the files of the checkout.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import quote

from promptspec import __version__
from promptspec.diagnostics import Diagnostic
from promptspec.lint.rules import RULES, Rule
from promptspec.paths import work_tree_top

__all__ = ["INFORMATION_URI", "SCHEMA_URI", "sarif_log", "source_root", "write_sarif"]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/promptspec/"


def source_root(start: str = ".") -> str:
    """The work tree's top above `start`, else `start` (absolute)."""
    return work_tree_top(os.path.abspath(start))


def _uri(path: str, root: str) -> str:
    rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    return quote(rel)


def _rule(rule: Rule) -> dict[str, Any]:
    help_text = f"{rule.explanation}\n\nBad:\n{rule.bad}\n\nGood:\n{rule.good}"
    help_md = (f"{rule.explanation}\n\nBad:\n\n```\n{rule.bad.rstrip()}\n```\n\n"
               f"Good:\n\n```\n{rule.good.rstrip()}\n```\n")
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.explanation or rule.summary},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": rule.severity},
        "properties": {"fixable": rule.fixable},
    }


def _fingerprint(d: Diagnostic, uri: str) -> str:
    # stable across unrelated edits above the finding: no line number in it
    blob = "\0".join((uri, d.code, d.prompt or "", d.message))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def sarif_log(diagnostics: Sequence[Diagnostic], root: str | None = None) -> dict[str, Any]:
    root = root or source_root()
    codes = sorted(RULES)
    index = {c: i for i, c in enumerate(codes)}
    results: list[dict[str, Any]] = []
    for d in diagnostics:
        s = d.span
        uri = _uri(s.path, root)
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": d.severity,
            "message": {"text": d.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                    "region": {
                        "startLine": s.line, "startColumn": s.column,
                        "endLine": max(s.end_line, s.line),
                        "endColumn": max(s.end_column, 1),
                    },
                },
            }],
            "partialFingerprints": {"promptspecFinding/v1": _fingerprint(d, uri)},
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        results.append(result)
    root_uri = "file://" + quote(root.replace(os.sep, "/").rstrip("/")) + "/"
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "promptspec",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(RULES[c]) for c in codes],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def write_sarif(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    out.write(json.dumps(sarif_log(diagnostics), indent=2, ensure_ascii=False) + "\n")
