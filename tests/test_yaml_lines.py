"""The line-by-line reader of the plainest YAML gives libyaml's very nodes (every tag,
style and mark), and leaves to libyaml whatever it does not read."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptspec.syntax.yaml.events import SCALAR, YNode, compose
from promptspec.syntax.yaml.lines import compose_lines

COMMON = ("kind", "tag", "anchor", "line", "column", "end_line", "end_column", "last_line",
          "last_column", "empty")


def shape(node: YNode | None) -> Any:
    """Everything a node holds, its children's too, as plain data."""
    if node is None:
        return None
    out = [getattr(node, k) for k in COMMON]
    if node.kind == SCALAR:
        return [*out, node.text, node.style]
    return [*out, node.flow, [shape(n) for n in node.items]]


def agrees(text: str) -> bool:
    """Whether the line reader read `text`; when it did, it must give libyaml's nodes."""
    fast = compose_lines(text)
    if fast is None:
        return False
    assert [shape(n) for n in fast] == [shape(n) for n in compose(text)], repr(text)
    return True


READ = [
    "a: 1\n",
    "a: 1",
    "a: 1  ",
    "# head\n\nversion: 1\nvars:\n  subject: ohwx man  # who\n  mood: calm\n",
    "a:\n  b:\n    c: x\n  d: [5, 7.5]\ne:\n",
    "a:\n  b:\n    c:",
    "a:\n      b: 1\n\n# end",
    "a:\n  b: 1\n  # inner\n# outer\nc: 2\n\n\n",
    "a: #c\nb:   \nc:\n",
    'a: "x # y"  # z\nb: \'q\'\nc: ""\nd: \'\'\n',
    "a: [ p  q , r ]\nb: []\nc: [ ]\nd: [~, null, true, .5, -3, 1..4]\n",
    "true: 1\nnull: 2\nyes: 3\non: off\n",
    "a: http://x/y\nb: a, b {c} [d]\nc: x:y\nd: a#b\ne: 1e3\nf: 0x1F\ng: .inf\n",
    "text: a painting of {{ subject }}\n",
    "deep:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 20)) + "  " * 20 + "end: 1",
]
LEFT = [
    "",
    "# only a comment\n",
    "- a\n- b\n",
    "a:\n- b\n",
    "a: |\n  x\n",
    "a: >\n  x\n",
    "a: &x 1\nb: *x\n",
    "a: !t 1\n",
    "a: {b: 1}\n",
    "a: [1, [2]]\n",
    "a: [a, b,]\n",
    "a: [a: b]\n",
    'a: "x\\ty"\n',
    "a: 'it''s'\n",
    "a: x\n  y\n",
    "a: 1\n  b: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "  a: 1\n",
    "a:\tb\n",
    "a: café\n",
    "a: 1\r\nb: 2\r\n",
    "---\na: 1\n",
    "a: 1\n...\n",
    "%YAML 1.2\n---\na: 1\n",
    "a b: 1\n",
    "a:b\n",
    "a : 1\n",
    "a: b: c\n",
    "a: b:\n",
    'a: "x"y\n',
    "a: - b\n",
    "a: ? b\n",
    "a: @x\n",
    "a: \"open\n",
    "a: [open\n",
]


@pytest.mark.parametrize("text", READ)
def test_what_it_reads_is_what_libyaml_composes(text: str) -> None:
    assert agrees(text)


@pytest.mark.parametrize("text", LEFT)
def test_the_rest_is_left_to_libyaml(text: str) -> None:
    assert compose_lines(text) is None


def test_a_line_read_before_is_placed_where_it_is_now() -> None:
    """The reader keeps what each line held (its key, value, columns), not where it was:
    the same lines, met again at other line numbers and depths, give libyaml's marks."""
    blocks = ["steps: 30", "p:\n  steps: 30\n  sweep:\n    artist: [a, b]\n  cfg: ~",
              'text: "x # y"', "\n# c", "q:\n    artist: [a, b]\n    steps: 30"]
    for shift in range(len(blocks)):
        assert agrees("\n".join(blocks[shift:] + blocks[:shift]) + "\n")
    assert agrees("a:\n  b: 1\n  c: [x]\nd:\n  b: 1\n  c: [x]\n")
    assert compose_lines("a: x\n  y\n") is None
    assert compose_lines("b: 1\na: x\n  y\n") is None


KEYS = st.sampled_from(["a", "b", "text", "steps", "true", "null", "yes", "Off", "_x", "k-1",
                        "y", "NULL", "e1", "inf"])
VALUES = st.sampled_from([
    "1", "-5", "7.5", ".5", "1..4", "1e3", "0x1F", "+3", "~", "null", "True", "x:y", "a  b",
    '"q"', '"a # b"', "'s'", "''", '""', "[a, b]", "[]", "[ a  b , c ]", "[5, 7.5]", "a#b",
    "a # b", ".inf", "-.5", "(x)", "$y", "/p", "dpm++2m_karras", "a, b", "x ]", "random(3)",
    "1..10 step 2", '"a {{ b }}"', "a\\b", "[x  ,y]", "x:", "a: b", "- a", "|", "'it''s'",
    '"a\\"b"', "[a,]", "{a: 1}", "&x y", "#c",
])
ENDS = st.sampled_from(["", "", "  ", " # c", "   #", "#c"])


@st.composite
def plain_yaml(draw: st.DrawFn) -> str:
    """Mostly the plainest YAML, nesting by two spaces or more, with some lines that are
    not: what the reader must either read as libyaml does or leave alone."""
    lines: list[str] = []
    indents = [0]
    waiting = False
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append(" " * draw(st.integers(0, 8)) + draw(st.sampled_from(["", "#", "# c"])))
            continue
        if waiting and kind < 7:
            indents.append(indents[-1] + draw(st.sampled_from([1, 2, 4])))
        else:
            del indents[draw(st.integers(1, len(indents))):]
        key = " " * indents[-1] + draw(KEYS)
        waiting = kind % 3 == 0
        if waiting:
            lines.append(key + draw(st.sampled_from([":", ":  ", ": # c", ": #"])))
        else:
            lines.append(key + draw(st.sampled_from([": ", ":  "])) + draw(VALUES) + draw(ENDS))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n", "\n# e", "\n    #", "  "]))


@settings(max_examples=100, deadline=None)
@given(plain_yaml())
def test_generated_yaml_is_read_as_libyaml_reads_it(text: str) -> None:
    agrees(text)


def test_the_plain_scalar_tags_are_ruamels_own() -> None:
    """The YAML 1.2 implicit resolvers written out in `tags` (so that a plain file is read
    without importing ruamel) are ruamel's, in its order."""
    import re

    from ruamel.yaml.resolver import implicit_resolvers

    from promptspec.syntax.yaml.tags import IMPLICIT_TAGS

    theirs = [(tag, regexp.lazy_self(), tuple(first))
              for versions, tag, regexp, first in implicit_resolvers if (1, 2) in versions]
    ours = [(tag, re.compile(pattern, flags), first)
            for tag, pattern, flags, first in IMPLICIT_TAGS]
    assert [(t, r.pattern, r.flags, f) for t, r, f in ours] == \
        [(t, r.pattern, r.flags, f) for t, r, f in theirs]
