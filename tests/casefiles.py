"""The rule case files in tests/rule_cases: their markers, and linting one of them.

A case file is a spec (`*.pspec` or `*.pspec.yaml`) whose comments say what lint must find:

- `# expect: PS103:16` -- a PS103 finding on this line at column 16; several are separated
  by commas, and each may name a piece of its message in quotes: `PS401:3 "seed has 2"`.
- `# expect[-2]: PS302:5` -- the same for the line two above (or `[+1]` below), for lines
  that cannot hold a comment (inside a multi-line string).
- `# ok: PS105` -- a near miss: this line must not give PS105 (a good case of the rule).

Nothing else may be reported: the findings of the file are exactly its `expect` markers.
Files under `lib/` and `refs/` are what cases import, not cases.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

CASES = Path(__file__).resolve().parent / "rule_cases"
SUFFIXES = (".pspec", ".pspec.yaml")

_MARK = re.compile(r"#\s*(expect|ok)(?:\[([+-]\d+)\])?:\s*(.*?)\s*(?=#\s*(?:expect|ok)\b|$)")
_EXPECT_ITEM = re.compile(r'(PS\d{3}):(\d+)(?:\s+"([^"]*)")?')
_OK_ITEM = re.compile(r"PS\d{3}")


@dataclass(frozen=True)
class Expected:
    code: str
    line: int
    column: int
    fragment: str | None = None


@dataclass
class Case:
    path: Path
    expected: list[Expected] = field(default_factory=list)
    ok: set[tuple[str, int]] = field(default_factory=set)  # (code, line)

    @property
    def syntax(self) -> str:
        return "yaml" if self.path.name.endswith(".pspec.yaml") else "dsl"


def is_case(path: Path) -> bool:
    rel = path.relative_to(CASES)
    return path.name.endswith(SUFFIXES) and rel.parts[0] not in ("lib", "refs")


def case_files() -> list[Path]:
    return sorted(p for p in CASES.rglob("*") if p.is_file() and is_case(p))


def read_case(path: Path) -> Case:
    case = Case(path)
    text = path.read_bytes().decode("utf-8", "replace")
    for n, line in enumerate(text.splitlines(), 1):
        for m in _MARK.finditer(line):
            kind, offset, body = m.group(1), m.group(2), m.group(3)
            at = n + int(offset or 0)
            if kind == "ok":
                items = _OK_ITEM.findall(body)
                assert items and _OK_ITEM.sub("", body).strip(" ,") == "", (path, n, body)
                case.ok.update((code, at) for code in items)
                continue
            items = list(_EXPECT_ITEM.finditer(body))
            rest = _EXPECT_ITEM.sub("", body).strip(" ,")
            assert items and rest == "", f"{path.name}:{n}: malformed marker {body!r}"
            case.expected.extend(
                Expected(i.group(1), at, int(i.group(2)), i.group(3)) for i in items
            )
    return case


def lint_case(path: Path) -> list[tuple[str, int, int, str]]:
    """(code, line, column, message) of every finding lint reports for the case file."""
    from promptspec.lint.rules import check
    from promptspec.resolve import resolve

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a crashing rule family fails the case
        found = check(resolve(str(path)))
    return [(d.code, d.span.line, d.span.column, d.message) for d in found]


def mismatch(case: Case) -> str | None:
    """What differs between the case's markers and lint's findings; None when they agree."""
    found = lint_case(case.path)
    got = sorted((c, ln, col) for c, ln, col, _ in found)
    want = sorted((e.code, e.line, e.column) for e in case.expected)
    problems: list[str] = []
    if got != want:
        extra = sorted(set(got) - set(want))
        missing = sorted(set(want) - set(got))
        problems.append(f"unexpected findings {extra}, missing findings {missing}")
    for e in case.expected:
        if e.fragment is None:
            continue
        messages = [m for c, ln, col, m in found if (c, ln, col) == (e.code, e.line, e.column)]
        if not any(e.fragment in m for m in messages):
            problems.append(f"{e.code} at {e.line}:{e.column}: no message holds "
                            f"{e.fragment!r}: {messages}")
    for code, line in sorted(case.ok):
        if any((c, ln) == (code, line) for c, ln, _, _ in found):
            problems.append(f"{code} reported on line {line}, marked ok")
    return "; ".join(problems) or None
