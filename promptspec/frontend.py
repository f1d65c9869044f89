"""Load one spec file: read, decode, and hand it to the front end of its syntax.

`load(path)` returns a `Parsed`: the model (or None when the file does not parse) and
the front end's diagnostics (PS001 syntax, PS002 duplicate keys, PS007 structure).
A path that cannot be opened raises `SpecReadError` (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from promptspec.diagnostics import Diagnostic
from promptspec.errors import SpecReadError
from promptspec.files import DISK, FileReader
from promptspec.model import Span, SpecFile

__all__ = ["YAML_SUFFIXES", "Parsed", "is_spec_path", "load", "parse_source", "syntax_of"]

YAML_SUFFIXES = (".pspec.yaml", ".pspec.yml")
DSL_SUFFIX = ".pspec"


@dataclass(frozen=True, slots=True)
class Parsed:
    path: str
    source: str
    spec: SpecFile | None
    diagnostics: tuple[Diagnostic, ...]


def syntax_of(path: str) -> str:
    return "yaml" if path.endswith(YAML_SUFFIXES) or path.endswith((".yaml", ".yml")) else "dsl"


def is_spec_path(path: str) -> bool:
    return path.endswith(YAML_SUFFIXES) or path.endswith(DSL_SUFFIX)


def parse_source(text: str, path: str) -> Parsed:
    """Parse decoded source text by the syntax its file name says."""
    if syntax_of(path) == "yaml":
        from promptspec._yaml import parse_yaml

        return parse_yaml(text, path)
    from promptspec._dsl import parse_dsl

    return parse_dsl(text, path)


def _decode_error(data: bytes, err: UnicodeDecodeError, path: str) -> Diagnostic:
    before = data[: err.start]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    span = Span(path, line, column, line, column + 1)
    return Diagnostic("PS001", f"the file is not valid UTF-8 (byte 0x{data[err.start]:02x})", span)


def decode(data: bytes, path: str) -> tuple[str, Diagnostic | None]:
    """UTF-8 with an optional BOM; a bad byte is PS001 at its place."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        return "", _decode_error(data, err, path)


def read_bytes(path: str, reader: FileReader = DISK) -> bytes:
    try:
        return reader.read(path)
    except IsADirectoryError:
        raise SpecReadError(f"{path}: is a directory, not a spec file") from None
    except FileNotFoundError:
        raise SpecReadError(f"{path}: no such file") from None
    except OSError as err:
        raise SpecReadError(f"{path}: cannot read: {err.strerror or err}") from None


def load(path: str, reader: FileReader = DISK) -> Parsed:
    """Read, decode and parse one spec file. Raises SpecReadError if it cannot be read."""
    data = read_bytes(path, reader)
    text, bad = decode(data, path)
    if bad is not None:
        return Parsed(path, "", None, (bad,))
    return parse_source(text, path)
