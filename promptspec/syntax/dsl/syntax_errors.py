"""Friendly PS001 diagnostics for DSL syntax errors: a table of (message, malformed samples)
matched by LR state, plus precise messages for unclosed brackets, stray braces, unterminated
strings and several statements on one line.
"""

from __future__ import annotations

import lark
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from promptspec.diagnostics import Diagnostic
from promptspec.model import Span
from promptspec.syntax.dsl.grammar import get_parser

__all__ = ["ERROR_EXAMPLES", "syntax_error"]

# Friendly messages for parse errors, matched by parser state with `match_examples`.
# Each sample fails at the place the message describes. Order matters only for ties.
ERROR_EXAMPLES: dict[str, list[str]] = {
    "expected '=' after a field name": [
        'prompt a {\n  text "x"\n}\n',
        "prompt a {\n  text\n}\n",
        "prompt a {\n  text 1\n}\n",
        "prompt a {\n  text }\n",
    ],
    "expected a value after '=' (a string, number, true, false, null, list, range, "
    "random(...) or file(...)); text must be quoted": [
        "prompt a {\n  text =\n}\n",
        "prompt a {\n  text = Monet\n}\n",
        "prompt a {\n  text = }\n",
        "prompt a {\n  text = =\n}\n",
    ],
    "expected a value after 'tune'": [
        "tune\n",
        "tune x\n",
    ],
    "expected a file path in quotes after 'import'": [
        "import\n",
        "import presets\n",
    ],
    "expected a name after 'preset' or 'prompt'": [
        "preset {\n}\n",
        "prompt {\n}\n",
        "prompt 1 {\n}\n",
        "preset\n",
    ],
    "expected '{' after the name (on the same line)": [
        "prompt a\n{\n}\n",
        "prompt a b {\n}\n",
        "prompt a : b c {\n}\n",
        "prompt a = 1\n",
    ],
    "expected a preset name after ':' or ','": [
        "prompt a : {\n}\n",
        "prompt a : b, {\n}\n",
    ],
    "expected '{' after 'vars', 'sweep' or 'zip'": [
        "vars\n",
        "vars x\n",
        "prompt a {\n  sweep\n}\n",
        "prompt a {\n  zip [1]\n}\n",
    ],
    "expected a field name or '}'": [
        "prompt a {\n  = 1\n}\n",
        'prompt a {\n  "text" = 1\n}\n',
        "prompt a {\n  1 = 1\n}\n",
    ],
    "missing closing ']' (or ',' between list items)": [
        "prompt a {\n  seed = [1, 2\n}\n",
        "prompt a {\n  seed = [1 2]\n}\n",
        "prompt a {\n  seed = [1, 2\n",
    ],
    "expected a value after '..' (ranges look like 1..4, 5..9 step 0.5 or 0.2..0.8 count 4)": [
        "prompt a {\n  seed = 1..\n}\n",
        "prompt a {\n  seed = 1..4 step\n}\n",
        "prompt a {\n  seed = 1..4 count\n}\n",
        "prompt a {\n  seed = 1..[2]\n}\n",
    ],
    "malformed random(...): expected random(count) or random(count, seed)": [
        "prompt a {\n  seed = random\n}\n",
        "prompt a {\n  seed = random()\n}\n",
        "prompt a {\n  seed = random(4\n}\n",
        "prompt a {\n  seed = random(4, 5, 6)\n}\n",
    ],
    'malformed file(...): expected file("path")': [
        "prompt a {\n  input_image = file\n}\n",
        "prompt a {\n  input_image = file(x)\n}\n",
        'prompt a {\n  input_image = file("x"\n}\n',
        "prompt a {\n  input_image = file()\n}\n",
    ],
    "expected import, tune, vars, preset or prompt": [
        "{\n}\n",
        "= 1\n",
        '"x"\n',
    ],
}


def _place(text: str, err: LarkError) -> tuple[int, int]:
    """The 1-based (line, column) a lark error points at; end of text for end of input."""
    at_end = isinstance(err, UnexpectedToken) and err.token.type == "$END"
    if at_end or isinstance(err, UnexpectedEOF):
        return _end_of(text)
    if isinstance(err, UnexpectedInput) and getattr(err, "line", -1) not in (-1, None):
        return int(err.line), int(err.column)
    return 1, 1


def _end_of(text: str) -> tuple[int, int]:
    if not text:
        return 1, 1
    line = text.count("\n") + 1
    return line, len(text) - (text.rfind("\n") + 1) + 1


def _open_line(err: UnexpectedToken, opener: str, closer: str) -> int | None:
    """The line of the innermost `opener` token (LBRACE, LSQB) still open at the error."""
    try:
        stack = err.interactive_parser.parser_state.value_stack
    except AttributeError:
        return None
    depth = 0
    for item in reversed(stack):
        if isinstance(item, lark.Token):
            if item.type == closer:
                depth += 1
            elif item.type == opener:
                if depth == 0:
                    return int(item.line) if item.line is not None else None
                depth -= 1
    return None


_SAMPLE_ERRORS: dict[str, UnexpectedInput | None] = {}


def _sample_error(sample: str) -> UnexpectedInput | None:
    """The error one ERROR_EXAMPLES sample raises, computed once: samples never change."""
    if sample not in _SAMPLE_ERRORS:
        try:
            get_parser().parse(sample)
            _SAMPLE_ERRORS[sample] = None
        except UnexpectedInput as err:
            _SAMPLE_ERRORS[sample] = err
    return _SAMPLE_ERRORS[sample]


def _parser_expects(err: UnexpectedToken) -> set[str]:
    """The terminals the parser's state accepts (the lexer's `expected` adds `_NL` always)."""
    state = err.state
    try:
        return set(state.parse_conf.states[state.position])
    except (AttributeError, KeyError, TypeError):
        return set(err.expected)


def _previous_end_line(err: UnexpectedToken) -> int | None:
    """The line where the last thing the parser took in ends (None at the start)."""
    try:
        stack = err.state.value_stack
    except AttributeError:
        return None
    if not stack:
        return None
    last = stack[-1]
    if isinstance(last, lark.Token):
        return last.end_line
    meta = getattr(last, "meta", None)
    return None if meta is None or meta.empty else int(meta.end_line)


def _state_number(err: UnexpectedInput) -> object:
    state = getattr(err, "state", None)
    return getattr(state, "position", state)


def _match_example(err: UnexpectedInput) -> str | None:
    """The ERROR_EXAMPLES label whose sample fails in the same LR state, like lark's
    `match_examples`, but comparing the state number only: lark compares parser states by
    stack depth too, so a sample would match only at the nesting depth it was written at.
    Same token text wins, then same token type, then the first sample in that state.
    """
    number = _state_number(err)
    token = getattr(err, "token", None)
    by_type: str | None = None
    by_state: str | None = None
    for label, samples in ERROR_EXAMPLES.items():
        for sample in samples:
            found = _sample_error(sample)
            if found is None or _state_number(found) != number:
                continue
            other = getattr(found, "token", None)
            if token is not None and other is not None:
                if other.type == token.type and str(other) == str(token):
                    return label
                if other.type == token.type and by_type is None:
                    by_type = label
            if by_state is None:
                by_state = label
    return by_type or by_state


def _lexer_error(text: str, err: UnexpectedCharacters) -> tuple[str, int, int]:
    """(message, line, column) for a place where no token matches."""
    pos = err.pos_in_stream
    line, col = int(err.line), int(err.column)
    if pos is not None and text[pos : pos + 1] == '"' and text[max(pos - 2, 0) : pos] == '""':
        # `"""abc` without its closing quotes lexes as `""` and then a lone `"`.
        block = 'unterminated string: a """ block needs its closing """'
        return block, line, col - 2
    return _lexer_message(text, err), line, col


def _lexer_message(text: str, err: UnexpectedCharacters) -> str:
    pos = err.pos_in_stream
    rest = text[pos:] if pos is not None else ""
    if rest.startswith('"'):
        return "unterminated string: a string needs its closing '\"' on the same line"
    char = rest[:1] or err.char
    return f"unexpected character {char!r}"


def _parser_message(text: str, err: UnexpectedInput) -> str:
    if isinstance(err, UnexpectedToken) and err.token.type in ("$END", "RBRACE"):
        # Inside brackets line breaks are dropped, so an unclosed `[` runs into the `}`.
        opened = _open_line(err, "LSQB", "RSQB")
        if opened is not None:
            return f"missing closing ']' for the list opened on line {opened}"
    if isinstance(err, UnexpectedToken) and err.token.type == "$END":
        expected = set(err.expected)
        if "RBRACE" in expected:
            opened = _open_line(err, "LBRACE", "RBRACE")
            where = f" for the block opened on line {opened}" if opened else ""
            return f"missing closing '}}'{where}"
        if "RPAR" in expected:
            return "missing closing ')'"
    if isinstance(err, UnexpectedToken) and err.token.type not in ("_NL", "$END"):
        expected = _parser_expects(err)
        if (
            err.token.type == "RBRACE"
            and "RBRACE" not in expected
            and _open_line(err, "LBRACE", "RBRACE") is None
        ):
            return "unexpected '}': no block is open here"
        if "_NL" in expected and _previous_end_line(err) == err.token.line:
            # The statement could end here, yet something follows on the same line.
            also = " (or '}')" if "RBRACE" in expected else ""
            return f"one statement per line: expected a line break{also} before {str(err.token)!r}"
    label = _match_example(err)
    if isinstance(label, str):
        return label
    if isinstance(err, UnexpectedToken):
        tok = err.token
        shown = "end of file" if tok.type == "$END" else repr(str(tok))
        return f"unexpected {shown}"
    return "invalid syntax"


def syntax_error(text: str, path: str, err: BaseException) -> Diagnostic:
    """One PS001 diagnostic for any failure lark (or the recursion limit) raised."""
    if isinstance(err, UnexpectedCharacters):
        message, line, col = _lexer_error(text, err)
    elif isinstance(err, UnexpectedInput):
        message = _parser_message(text, err)
        line, col = _place(text, err)
    elif isinstance(err, RecursionError):
        message, (line, col) = "the file nests too deeply to parse", (1, 1)
    else:
        message, (line, col) = f"invalid syntax ({type(err).__name__})", (1, 1)
    end = col + 1
    token = getattr(err, "token", None)
    if isinstance(token, lark.Token) and token.type != "$END" and token.end_line == line:
        end = max(end, token.end_column or end)  # cover the whole offending token
    return Diagnostic("PS001", message, Span(path, line, col, line, end))
