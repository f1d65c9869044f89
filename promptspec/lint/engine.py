"""The lint engine: load, resolve and check each spec, then apply severities, suppressions
and the rule selection (configuration and command line), sorted.

Selection follows ruff: `select`/`ignore` hold codes or prefixes (`PS2`); a code is on
when its most specific matching `select` entry is more specific than its most specific
`ignore` entry (ties go to `ignore`). The command line is a second layer over
`[tool.promptspec]`: `--select` replaces the configured selection (the configured
`ignore` still applies when the configuration has no `select` of its own), `--ignore`
adds to it. `per-file-ignores` and `# promptspec: ignore[...]` comments apply last.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from functools import cache
from typing import NamedTuple

from promptspec.config import Config, Configs
from promptspec.diagnostics import Diagnostic, sort_key
from promptspec.errors import ConfigError, SpecReadError, UsageError
from promptspec.lint import rules
from promptspec.lint.cache import LintCache
from promptspec.lint.digests import Digests
from promptspec.lint.file_check import Task, check, check_and_store, lookup, severity
from promptspec.lint.workers import check_in_workers, relaxed_collector, workers_for
from promptspec.load import DISK, MAX_SPEC_BYTES, FileReader, Parsed, decode, load, read_bytes
from promptspec.paths import is_spec_path, syntax_of
from promptspec.resolve import Resolution
from promptspec.syntax import source_lines

__all__ = [
    "LintResult",
    "Selection",
    "filter_findings",
    "lint_files",
    "lint_paths",
    "parse_codes",
    "suppressions",
]


class Selection(NamedTuple):
    """The command line's `--select` / `--ignore` (None: not given)."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()


class LintResult:
    """The findings of one run, each linted file's decoded source (for `--fix`), and each
    file's resolution (so `expand` and `run` need not resolve again)."""

    __slots__ = ("diagnostics", "files", "resolutions", "sources")

    # plain classes, not dataclasses: building a dataclass costs a millisecond of start-up
    def __init__(self, diagnostics: list[Diagnostic], files: int,
                 sources: dict[str, str] | None = None) -> None:
        self.diagnostics = diagnostics
        self.files = files
        self.sources = sources if sources is not None else {}
        self.resolutions: list[Resolution] = []


def _known(code: str) -> bool:
    return any(c.startswith(code) for c in rules.RULES)


def parse_codes(text: str | None, option: str) -> tuple[str, ...] | None:
    """`--select PS1,PS209` as codes; an unknown code or prefix is a usage error."""
    if text is None:
        return None
    codes = tuple(c.strip().upper() for c in text.split(",") if c.strip())
    for c in codes:
        if not _known(c):
            raise UsageError(f"{option}: {c!r} is not a rule code or prefix "
                             "(see `promptspec rules`)")
    return codes


def _check_config_codes(config: Config) -> None:
    lists = [("select", config.select or ()), ("ignore", config.ignore)]
    lists += [(f"per-file-ignores.{g}", codes) for g, codes in config.per_file_ignores]
    for key, codes in lists:
        for c in codes:
            if not _known(c):
                raise ConfigError(f"{config.path}: [tool.promptspec] {key}: {c!r} matches "
                                  "no rule (see `promptspec rules`)")


def _specificity(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector that `code` starts with; -1 when none does."""
    return max((len(s) for s in selectors if code.startswith(s)), default=-1)


def _layer(code: str, on: bool, select: tuple[str, ...] | None,
           ignore: tuple[str, ...]) -> bool:
    if select is not None:
        return _specificity(code, select) > _specificity(code, ignore)
    return on and _specificity(code, ignore) < 0


def enabled(code: str, config: Config, cli: Selection) -> bool:
    """Whether `code` is on for files under `config`, the command line applied over it."""
    on = _layer(code, True, config.select, config.ignore)
    carried = config.ignore if config.select is None else ()
    return _layer(code, on, cli.select, (*carried, *cli.ignore) if cli.select else cli.ignore)


def _file_ignores(path: str, config: Config) -> tuple[str, ...]:
    """The codes (or prefixes) `per-file-ignores` turns off for `path`."""
    if not config.per_file_ignores:
        return ()
    rel = os.path.relpath(os.path.abspath(path), config.root).replace(os.sep, "/")
    name = rel.rsplit("/", 1)[-1]
    out: list[str] = []
    for glob, codes in config.per_file_ignores:
        glob = glob[2:] if glob.startswith("./") else glob
        if fnmatchcase(rel, glob) or ("/" not in glob and fnmatchcase(name, glob)):
            out.extend(codes)
    return tuple(out)


# -- suppression comments -----------------------------------------------------------------


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The directive, and the DSL and YAML tokens: strings first, so that a `#` inside
    one is skipped, then a comment. Compiled on first use, off the start-up path."""
    directive = re.compile(r"#\s*promptspec:\s*ignore\b(?:\[([^\]]*)\])?")
    dsl = re.compile(r'"""[\s\S]*?(?:"""|\Z)|"(?:[^"\\\n]|\\.)*"?|#[^\n]*')
    yaml = re.compile(
        r"""(?:(?<=[\s\[{,:])|^)(?:'(?:[^'\n]|'')*'?|"(?:[^"\\\n]|\\.)*"?)|(?:(?<=\s)|^)#.*"""
    )
    return directive, dsl, yaml


Suppressed = dict[int, frozenset[str] | None]
"""Line -> the codes (or prefixes) ignored on it; None: every code."""


def suppressions(source: str, syntax: str) -> Suppressed:
    """The `# promptspec: ignore[...]` comments of a file, by line."""
    out: Suppressed = {}
    if "promptspec" not in source:
        return out
    found: list[tuple[int, str]] = []
    directive_re, dsl_re, yaml_re = _patterns()
    if syntax == "dsl":
        line, pos = 1, 0
        for m in dsl_re.finditer(source):
            line += source.count("\n", pos, m.start())
            pos = m.start()
            if m.group().startswith("#"):
                found.append((line, m.group()))
    else:
        for i, text in enumerate(source_lines(source, "yaml"), 1):
            if "promptspec" in text:
                for m in yaml_re.finditer(text):
                    if m.group().startswith("#"):
                        found.append((i, m.group()))
                        break
    for line, comment in found:
        directive = directive_re.search(comment)
        if directive is not None:
            listed = directive.group(1)
            out[line] = None if listed is None else frozenset(
                c.strip().upper() for c in listed.split(",") if c.strip())
    return out


def _is_suppressed(d: Diagnostic, sup: Suppressed) -> bool:
    if d.span.line not in sup:
        return False
    codes = sup[d.span.line]
    return codes is None or any(d.code.startswith(c) for c in codes)


# -- the engine ---------------------------------------------------------------------------


class _Select:
    """The rule selection, per-file-ignores and suppression comments, applied to one file's
    findings; each (code, configuration) decided once."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.decided: dict[tuple[str, int], bool] = {}  # configs live as long as the run

    def keep(self, path: str, source: str, config: Config,
             found: Sequence[Diagnostic]) -> Iterable[Diagnostic]:
        if not found:
            return ()
        sup = suppressions(source, syntax_of(path))
        ignores = _file_ignores(path, config)
        out = []
        for d in found:
            code = d.code
            key = (code, id(config))
            on = self.decided.get(key)
            if on is None:
                on = self.decided[key] = enabled(code, config, self.selection)
            if (
                on
                and not (ignores and any(code.startswith(c) for c in ignores))
                and not (sup and _is_suppressed(d, sup))
            ):
                out.append(d)
        return out


def _source_of(data: bytes, path: str) -> str:
    """The decoded text `load` would give (empty when the file does not decode)."""
    return decode(data, path)[0] if len(data) <= MAX_SPEC_BYTES else ""


def lint_paths(paths: Sequence[str], selection: Selection | None = None,
               max_requests: int | None = None, reader: FileReader = DISK, *,
               cache: bool = False, jobs: int = 1, api: str | None = None,
               parses: dict[str, Parsed] | None = None) -> LintResult:
    """Lint the given spec files (already discovered), read through `reader` (the
    configuration always comes from the disk). Raises SpecReadError, ConfigError.

    With `cache`, findings come from `.promptspec_cache/` where it holds them and are kept
    there otherwise; with `jobs` above 1, files are checked by up to that many worker
    processes when there are enough of them. Either way the result is the same, except
    that `resolutions` is filled only by a plain run (no cache, one job). Text from another
    `reader` (an editor's unsaved buffers) is never cached nor sent to workers. `api`: the
    API profile asked for on the command line (part of each cache entry's key; the
    configured one is part of the configuration's). `parses` (realpath -> Parsed) holds
    files parsed before (an editor's texts, unchanged imports) for a plain run, and receives
    every file parsed on the way."""
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    selection = selection or Selection()
    if (cache or jobs > 1) and reader is DISK:
        return _lint_through_cache(paths, _Select(selection), max_requests, cache, jobs,
                                   api)
    configs = Configs(_check_config_codes)
    select = _Select(selection)
    # realpath -> parsed, shared with resolution's imports
    loaded: dict[str, Parsed] = parses if parses is not None else {}
    out: list[Diagnostic] = []
    sources: dict[str, str] = {}
    resolutions: list[Resolution] = []
    with relaxed_collector() as file_done:
        for path in paths:
            config = configs.of(path)
            parsed = loaded.get(os.path.realpath(path))
            if parsed is None or parsed.path != path:
                parsed = load(path, reader)
            sources[path] = parsed.source
            res, found = check(path, parsed, config, max_requests, loaded, reader, api)
            resolutions.append(res)
            out.extend(select.keep(path, parsed.source, config, found))
            file_done()
    out.sort(key=sort_key)
    result = LintResult(out, len(paths), sources)
    result.resolutions = resolutions
    return result


def _lint_through_cache(paths: Sequence[str], select: _Select, max_requests: int | None,
                        use_cache: bool, jobs: int, profile: str | None) -> LintResult:
    configs = Configs(_check_config_codes)
    digests = Digests()
    caches: dict[str, LintCache] | None = {} if use_cache else None
    loaded: dict[str, Parsed] = {}
    sources: dict[str, str] = {}
    found: list[list[Diagnostic] | None] = []
    todo: list[int] = []
    datas: dict[int, bytes] = {}
    of = [configs.of(path) for path in paths]
    for i, path in enumerate(paths):
        config = of[i]
        data = read_bytes(path)
        sources[path] = _source_of(data, path)
        hit = None
        if caches is not None:
            hit = lookup(Task(path, max_requests, profile), data, config, digests, caches)
        found.append(hit)
        if hit is None:
            todo.append(i)
            datas[i] = data
    tasks = [Task(paths[i], max_requests, profile) for i in todo]
    workers = workers_for(len(tasks), jobs)
    if workers:
        checked = check_in_workers(tasks, workers, caches)
    else:
        checked = []
        with relaxed_collector() as file_done:
            for t, i in zip(tasks, todo, strict=True):
                checked.append(check_and_store(t, datas[i], of[i], digests, caches, loaded,
                                               looked=True))
                file_done()
    for i, result in zip(todo, checked, strict=True):
        found[i] = result
    for kept in (caches or {}).values():
        kept.flush()
    out: list[Diagnostic] = []
    for path, config, raw in zip(paths, of, found, strict=True):
        assert raw is not None
        out.extend(select.keep(path, sources[path], config, raw))
    out.sort(key=sort_key)
    return LintResult(out, len(paths), sources)


def filter_findings(found: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Findings made outside lint (PS408, by `lock --check`) kept or dropped as lint keeps its
    own: the configuration's selection, `per-file-ignores`, and the suppression comments of
    a spec file (read from disk); severities applied."""
    configs = Configs(_check_config_codes)
    sups: dict[str, Suppressed] = {}
    out: list[Diagnostic] = []
    for d in found:
        path = d.span.path
        config = configs.of(path)
        if not enabled(d.code, config, Selection()):
            continue
        if any(d.code.startswith(c) for c in _file_ignores(path, config)):
            continue
        if is_spec_path(path):
            if path not in sups:
                try:
                    sups[path] = suppressions(decode(read_bytes(path), path)[0], syntax_of(path))
                except SpecReadError:
                    sups[path] = {}
            if _is_suppressed(d, sups[path]):
                continue
        out.append(severity(d))
    return sorted(out, key=sort_key)


def lint_files(paths: Sequence[str], api: str | None = None) -> list[Diagnostic]:
    """Every finding for the given spec files, severities and configuration applied."""
    return lint_paths(paths, api=api).diagnostics
