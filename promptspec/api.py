"""The public Python API: the one surface the command line calls, and a Python user too.

    discover(paths)                       -> list[str]  the spec files under the paths
    lint(paths, selection, api, cache, jobs, overlay) -> LintResult (findings, sorted)
    fix(paths, selection, api, cache, jobs)  -> FixResult  (`lint --fix`: edits applied, re-linted)
    Overlay                               texts standing in for files on disk (an editor's)
    fix_text(path, overlay)               -> str, the overlay's text as `lint --fix` leaves it
    format_text(text, path)               -> str | None, `fmt`'s layout of a DSL text
    prompt_counts(resolution)             -> {prompt: (requests, images) | None}, not enumerated
    suppressions(text, path)              -> {line: codes | None}, `# promptspec: ignore[...]`
    line_starts(text, path)               -> [offset], lines as the file's parser counts them
    expand(paths, prompt=None, api)       -> Iterator[Request] (raises SpecError on errors)
    count(paths, prompt=None, api)        -> list[(spec, prompt, n)], without enumerating
    format_file(path) / write_formatted   `fmt`: one file formatted in memory, then written
    convert(path, to)                     -> str, the spec in the other syntax
    rules(api) / schema(api)              the rule catalogue, the YAML syntax's JSON Schema
    profile(api) / parameters(api)        the API profile in force, its parameter table
    flags()                               the flags `text` may carry
    families()                            the model families `family` may name
    plan(paths, prompt, max_requests, api) -> Plan, what `run` would send
    admit(paths, prompt, max_requests, ...) -> Admission, the plan after shard, ledger, limits

`api` is the API profile (`current` or `reference`; None: `[tool.promptspec]`'s `api`).
    run(plan, **options)                  -> exit code, the run performed exactly once
    emulator(**s) / serve(**s)            the local API emulator, in a thread or in the foreground
    lock(paths) / check_lock(paths)       write promptspec.lock / its PS408 findings
    diff(args)                            -> Review, `[REV] [PATH]...`: REV against the work tree
    merge_sheets(outs, dest)              -> merged results lines (`sheet`: outs -> one sheet)

Stage modules load inside each function, so that importing this module stays light and
`promptspec lint` never imports what `run` needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptspec.diagnostics import Diagnostic, sort_key
from promptspec.errors import SpecError, UsageError
from promptspec.paths import spec_stem

if TYPE_CHECKING:
    from promptspec.emulator import RunningEmulator
    from promptspec.expand import PreparedPrompt
    from promptspec.format.fmt import FileOutcome
    from promptspec.lint.engine import LintResult, Selection
    from promptspec.lint.fix import FixResult
    from promptspec.lint.overlay import Overlay
    from promptspec.lint.request_counts import Counts
    from promptspec.lint.rules.registry import Rule
    from promptspec.load import FileReader
    from promptspec.params import Param
    from promptspec.params.flags import Flag
    from promptspec.request import Request
    from promptspec.resolve import Resolution
    from promptspec.review.diff import Review
    from promptspec.review.lock import LockWritten
    from promptspec.runner.admission import Admission
    from promptspec.runner.plan import Plan

__all__ = [
    "Diagnostic", "Overlay", "Request", "admit", "check_lock", "convert", "count", "diff",
    "discover", "emulator", "expand", "families", "fix", "fix_text", "flags", "format_file",
    "format_text", "line_starts", "lint", "lock", "merge_sheets", "parameters", "plan",
    "prepared", "profile", "prompt_counts", "rules", "run", "schema", "selection", "serve",
    "spec_stem", "suppressions", "usable_cpus", "write_formatted", "write_text",
]


def __getattr__(name: str) -> Any:
    if name == "Request":  # loaded when asked for: `lint` needs no request ids
        from promptspec.request import Request

        return Request
    if name == "Overlay":  # the language server's; the command line never asks for it
        from promptspec.lint.overlay import Overlay

        return Overlay
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def discover(paths: Sequence[str] = ()) -> list[str]:
    """The spec files under the given files and folders (default: the current folder)."""
    from promptspec.load import discover as walk

    return walk(paths)


def selection(select: str | None = None, ignore: str | None = None) -> Selection:
    """A command-line rule selection (`--select`, `--ignore`) over the configured one."""
    from promptspec.lint.engine import Selection, parse_codes

    return Selection(parse_codes(select, "--select"), parse_codes(ignore, "--ignore") or ())


def lint(paths: Sequence[str], selection: Selection | None = None,
         api: str | None = None, *, cache: bool = False, jobs: int = 1,
         overlay: Overlay | None = None) -> LintResult:
    """Every finding for the given spec files, severities and suppressions applied, sorted.

    `api`: the API profile (`current` or `reference`); else each file's configuration.
    `cache`: reuse and keep findings in the project's `.promptspec_cache/`; `jobs`: check
    in up to that many processes (see `usable_cpus`). The findings are the same either way.
    `overlay`: texts that stand in for the files on disk (an editor's), never cached."""
    from promptspec.lint.engine import lint_paths

    if overlay is None:
        return lint_paths(paths, selection, api=api, cache=cache, jobs=jobs)
    parses = overlay.parses()
    result = lint_paths(paths, selection, reader=overlay, parses=parses, api=api)
    overlay.keep(parses)
    return result


def usable_cpus() -> int:
    """The CPUs this process may run on: the default of `lint --jobs`."""
    from promptspec.lint.workers import usable_cpus as count

    return count()


def fix_text(path: str, overlay: Overlay) -> str:
    """The overlay's text of `path` with every fixable finding fixed, as `lint --fix` would
    leave it (the overlay itself is left as it was)."""
    from promptspec.lint.fix import MAX_PASSES, fix_source

    original = text = overlay.text(path) or ""
    try:
        for _ in range(MAX_PASSES):
            found = [d for d in lint([path], overlay=overlay).diagnostics
                     if d.fixable and d.span.path == path]
            new, fixed = fix_source(text, found)
            if not fixed or new == text:
                break
            text = new
            overlay.set(path, text)
    finally:
        overlay.set(path, original)
    return text


def format_text(text: str, path: str) -> str | None:
    """`fmt`'s layout of a DSL text; None for YAML (which `fmt` leaves alone) and for a
    text that does not parse."""
    from promptspec.format.fmt import format_text as layout
    from promptspec.paths import syntax_of

    if syntax_of(path) == "yaml":
        return None
    formatted, _ = layout(text, path)
    return formatted


def prompt_counts(resolution: Resolution) -> dict[str, Counts | None]:
    """(requests, images) of each prompt of a resolved file, without enumerating."""
    from promptspec.lint.request_counts import prompt_counts as counts_of

    return {rp.name: counts_of(rp) for rp in resolution.prompts}



def line_starts(text: str, path: str) -> list[int]:
    """Where each line of a spec's text begins, lines counted as its parser counts them
    (the places of findings and fixes are read against these)."""
    from promptspec.paths import syntax_of
    from promptspec.syntax import line_starts as starts

    return starts(text, syntax_of(path))


def suppressions(text: str, path: str) -> Mapping[int, frozenset[str] | None]:
    """The `# promptspec: ignore[...]` comments of a text, by line (None: every code)."""
    from promptspec.lint.engine import suppressions as found
    from promptspec.paths import syntax_of

    return found(text, syntax_of(path))


def fix(paths: Sequence[str], selection: Selection | None = None,
        api: str | None = None, *, cache: bool = False, jobs: int = 1) -> FixResult:
    """Apply the edits of fixable findings (atomically, file by file), then lint again."""
    from promptspec.lint.fix import fix_paths

    return fix_paths(paths, selection, api=api, cache=cache, jobs=jobs)


def prepared(paths: Sequence[str], prompt: str | None = None,
             reader: FileReader | None = None, api: str | None = None
             ) -> Iterator[PreparedPrompt]:
    """Each prompt of each spec, prepared for expansion, after checking the specs lint clean.
    Specs, imports and uploads are read through `reader` (default: the disk)."""
    from promptspec.expand import prepare
    from promptspec.lint.engine import lint_paths
    from promptspec.load import DISK

    result = lint_paths(paths, reader=reader or DISK, api=api)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors:
        raise SpecError("\n".join(str(d) for d in sorted(errors, key=sort_key)))
    found = False
    for res in result.resolutions:  # resolved once, by the lint that vetted them
        for rp in res.prompts:
            if prompt is not None and rp.prompt.name != prompt:
                continue
            found = True
            yield prepare(rp, res.path, res.root, res.reader)
    if prompt is not None and not found:
        raise UsageError(f"no prompt named {prompt!r} in {', '.join(paths)}")


def expand(paths: Sequence[str], prompt: str | None = None, api: str | None = None
           ) -> Iterator[Request]:
    """Stream every request of the specs, in order. Raises SpecError when a spec has errors."""
    from promptspec.expand import expand_prompt

    for pp in prepared(paths, prompt, api=api):
        yield from expand_prompt(pp)


def count(paths: Sequence[str], prompt: str | None = None, api: str | None = None
          ) -> list[tuple[str, str, int]]:
    """(spec, prompt, number of requests) for each prompt: a product of axis sizes."""
    return [(pp.spec_label, pp.rp.prompt.name, pp.count())
            for pp in prepared(paths, prompt, api=api)]


def format_file(path: str) -> FileOutcome:
    """`fmt` of one file, in memory: its canonical layout, or why it was not formatted."""
    from promptspec.format.fmt import format_file as run_fmt

    return run_fmt(path)


def write_formatted(outcome: FileOutcome) -> None:
    """Write a formatted file back, atomically."""
    from promptspec.format.fmt import write_file

    write_file(outcome)


def convert(path: str, to: str) -> str:
    """The spec at `path` in the other syntax (`"yaml"` or `"dsl"`), comments carried along.
    A file that does not decode raises SpecError with its PS001."""
    from promptspec.format.convert import convert_text
    from promptspec.load import decode, read_bytes

    if to not in ("yaml", "dsl"):
        raise UsageError(f"--to must be yaml or dsl, not {to!r}")
    text, bad = decode(read_bytes(path), path)
    if bad is not None:
        raise SpecError(str(bad))
    return convert_text(text, path, "yaml" if to == "yaml" else "dsl")


def write_text(path: str, text: str) -> None:
    """Write a file the user asked for (`convert -o`) whole or not at all."""
    from promptspec.paths import atomic_write

    atomic_write(path, text)


def profile(api: str | None = None, start: str = ".") -> str:
    """The API profile in force: `api` when given (`--api`), else `api` in the
    `[tool.promptspec]` that applies to `start`, else `current`."""
    from promptspec.config import load_config

    return api or load_config(start).api


def rules(api: str | None = None) -> list[Rule]:
    """The rule catalogue of the API profile, in code order."""
    from promptspec.lint.rules import rules_for

    table = rules_for(profile(api))
    return [table[c] for c in sorted(table)]


def schema(api: str | None = None) -> dict[str, object]:
    """The JSON Schema (draft-07) of the YAML syntax, with the API profile's parameters."""
    from promptspec.syntax.yaml.json_schema import build_schema

    return build_schema(profile(api))


def parameters(api: str | None = None) -> Mapping[str, Param]:
    """The API profile's parameter table (name -> type, bounds, choices, description,
    source): for hover and completion in editors."""
    from promptspec.params import table_for

    return table_for(profile(api))


def flags() -> Mapping[str, Flag]:
    """The flags `text` may carry (name without `--` -> value kind, description, needs)."""
    from promptspec.params.flags import flags_table

    return flags_table()


def families() -> tuple[str, ...]:
    """The model families the spec key `family` may name."""
    from promptspec.params.flags import FAMILIES

    return FAMILIES


def plan(paths: Sequence[str], prompt: str | None, max_requests: int,
         api: str | None = None, collect: bool = True) -> Plan:
    """What `run` would send, counted per prompt (refusing nothing yet: see `Plan.too_many`);
    the requests themselves only when `collect` and within `max_requests`."""
    from promptspec.runner.plan import plan_prompts

    return plan_prompts(prepared(paths, prompt, api=api), max_requests, collect)


def admit(paths: Sequence[str], prompt: str | None, max_requests: int, *, out_dir: Path,
          max_images: int | None = None, shard: str | None = None, ledger: str | None = None,
          retry_failed: bool = False, api: str | None = None,
          collect: bool = True) -> Admission:
    """The plan of `run` after `--shard I/N`, refused (UsageError) when what it would still
    create (less what the ledger holds) exceeds `max_requests` requests or `max_images`.

    Without a shard and with nothing in the ledger, the sizes are multiplied out, never
    enumerated, and the requests expanded only when `collect` (a dry run needs none): a
    sweep of any size is admitted or refused at once."""
    from promptspec.expand import expand_prompt
    from promptspec.runner.admission import Admission, held_ids, parse_shard, shard_of, too_many
    from promptspec.runner.admission import admit as admit_plan
    from promptspec.runner.ledgers import check_ledger_url
    from promptspec.runner.plan import plan_prompts

    check_ledger_url(ledger)
    part = parse_shard(shard) if shard is not None else None
    held = held_ids(ledger, out_dir, retry_failed)  # one look at the ledger
    prompts = list(prepared(paths, prompt, api=api))  # one lint of the specs
    if part is None and not held:
        counted = plan_prompts(prompts, max_requests, collect=False)
        if counted.too_many:
            raise too_many(counted.total, max_requests, False)
        if max_images is not None and counted.images > max_images:
            raise UsageError(f"refusing to create {counted.images} images: more than "
                             f"--max-images {max_images}")
        if not collect:
            return Admission(counted, to_create=counted.total, images=counted.images)
    return admit_plan(
        shard_of((r for pp in prompts for r in expand_prompt(pp)), part),
        max_requests, max_images, held)


def run(plan: Plan, **options: Any) -> int:
    """Submit the plan exactly once (resuming from the ledger), wait and download.
    `options` are the fields of `promptspec.runner.session.RunOptions`; the exit code."""
    from promptspec.runner.session import RunOptions, execute

    return execute(plan, RunOptions(**options))


def emulator(**settings: Any) -> RunningEmulator:
    """Start the local API emulator on a loopback port, in a thread (a context manager).
    `settings` are the fields of `promptspec.emulator.EmulatorConfig`."""
    from promptspec.emulator import EmulatorConfig, start_emulator

    return start_emulator(EmulatorConfig(**settings))


def serve(**settings: Any) -> None:
    """Serve the local API emulator in the foreground until interrupted."""
    import asyncio

    from promptspec.emulator import EmulatorConfig, serve_forever

    asyncio.run(serve_forever(EmulatorConfig(**settings)))


def lock(paths: Sequence[str] = ()) -> LockWritten:
    """Write `promptspec.lock` at the project root for the given specs (default: every spec
    under the root), keeping the lines of other specs. Raises SpecError on lint errors."""
    from promptspec.review.lock import write_lock

    return write_lock(paths, prepared)


def check_lock(paths: Sequence[str] = ()) -> list[Diagnostic]:
    """PS408 findings: prompts whose requests differ from the lock or are missing from it,
    and lock lines whose prompt is gone. Writes nothing."""
    from promptspec.review.lock import check_lock as check

    return check(paths, prepared)


def diff(args: Sequence[str] = ()) -> Review:
    """`[REV] [PATH]...`: the requests of the specs at git revision REV (default HEAD), read
    from git without a checkout, against the working tree, per prompt."""
    from promptspec.review.diff import diff_revision

    return diff_revision(args, prepared)


def merge_sheets(outs: Sequence[Path], dest: Path) -> list[dict[str, Any]]:
    """Merge run folders (shards, or runners of one sweep) into one contact sheet in `dest`;
    the merged `results.jsonl` lines. An out without `results.jsonl` is a UsageError."""
    from promptspec.runner.merge import merge_outs

    return merge_outs(list(outs), dest)
