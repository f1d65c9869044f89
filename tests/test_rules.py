"""The rule checks: case files in tests/rule_cases, plus columns, messages, fixes and scale.

Each case file marks its findings with `# expect: CODES` on the line of each finding and
`# expect-file: CODES` for findings anywhere in the file; nothing else may be reported.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from promptspec.diagnostics import Diagnostic
from promptspec.resolve import resolve
from promptspec.rules import check

CASES = Path(__file__).parent / "rule_cases"
CASE_FILES = sorted(p for p in CASES.iterdir()
                    if p.name.endswith((".pspec", ".pspec.yaml")))
_MARK = re.compile(r"#\s*(expect|expect-file):\s*(PS\d{3}(?:\s*,\s*PS\d{3})*)")


def lint(path: Path | str, max_requests: int = 1000) -> list[Diagnostic]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a crashing rule family fails the test
        return check(resolve(str(path)), max_requests=max_requests)


def expectations(path: Path) -> tuple[set[tuple[str, int]], set[str]]:
    lines: set[tuple[str, int]] = set()
    anywhere: set[str] = set()
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for m in _MARK.finditer(text):
            codes = m.group(2).replace(" ", "").split(",")
            if m.group(1) == "expect":
                lines.update((c, n) for c in codes)
            else:
                anywhere.update(codes)
    return lines, anywhere


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.name for p in CASE_FILES])
def test_case_file(path: Path) -> None:
    want_lines, want_anywhere = expectations(path)
    found = {(d.code, d.span.line) for d in lint(path)}
    assert {f for f in found if f[0] not in want_anywhere} == want_lines
    assert want_anywhere <= {code for code, _ in found}
