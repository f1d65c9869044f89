"""Lint on every core: the files a run must check (cache misses) shared out to worker
processes, in contiguous slices, their findings put back in the order of the files.

    usable_cpus()                   the CPUs this process may run on (`--jobs` default)
    workers_for(files, jobs)        how many workers pay for themselves (0: check in process)
    check_in_workers(tasks, ...)    each task's findings, in task order

Workers read, parse and check each file themselves and send back only findings and the
cache entries to keep (which the parent writes, each bucket once), so the output is that of
one process: the engine applies the selection and sorts, in order.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Sequence

from promptspec.config import Configs
from promptspec.diagnostics import Diagnostic
from promptspec.lint.cache import Entries, LintCache, cache_in
from promptspec.lint.digests import Digests
from promptspec.lint.file_check import Task, check_and_store
from promptspec.load import Parsed, read_bytes
from promptspec.paths import syntax_of

__all__ = ["check_in_workers", "usable_cpus", "workers_for"]

FILES_PER_WORKER = 24
"""Below this many files a worker costs more to start (a fork, the parsers' imports) than
it saves: a YAML spec checks in about a millisecond."""
_SLICES_PER_WORKER = 8
"""Slices small enough that no worker waits long at the end for the other's last one."""


def usable_cpus() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def workers_for(files: int, jobs: int) -> int:
    """How many worker processes to use for `files` files with `--jobs jobs`."""
    n = min(jobs, files // FILES_PER_WORKER)
    return n if n >= 2 else 0


_Done = tuple[list[list[Diagnostic]], dict[str, Entries]]
"""A slice's findings, file by file, and the cache entries to keep, by cache folder."""


class _Run:
    """What a worker works out once for all its slices of one run: digests, places,
    configurations, the caches (not the files parsed: a slice's are let go after it)."""

    def __init__(self, use_cache: bool) -> None:
        self.digests = Digests()
        self.caches: dict[str, LintCache] | None = {} if use_cache else None
        self.configs = Configs()


_RUN: list[_Run] = []
"""In a worker process (which lives for one run): its `_Run`, made as it starts."""


def _check_slice(tasks: Sequence[Task]) -> _Done:
    run = _RUN[0]
    digests, caches, configs = run.digests, run.caches, run.configs
    loaded: dict[str, Parsed] = {}
    out = []
    for task in tasks:
        # the parent looked each file up already: only misses come here
        out.append(check_and_store(task, read_bytes(task.path), configs.of(task.path),
                                   digests, caches, loaded, looked=True))
    kept = {} if caches is None else {f: c.taken() for f, c in caches.items()}
    return out, kept


def _import_front_ends(tasks: Sequence[Task]) -> None:
    """Import the parsers the files need once, before forking, rather than once in every
    worker (on a busy machine the CPU time is what counts). jinja2 is not among them: most
    templates are text and names, read without it."""
    syntaxes = {syntax_of(t.path) for t in tasks}
    if "yaml" in syntaxes:
        import promptspec.syntax.yaml.document  # noqa: F401
    if "dsl" in syntaxes:
        from promptspec.syntax.dsl.grammar import get_parser

        get_parser()


def _slices(tasks: Sequence[Task], n: int) -> list[Sequence[Task]]:
    size = -(-len(tasks) // n)
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


@contextlib.contextmanager
def relaxed_collector() -> Iterator[Callable[[], None]]:
    """While many files are checked: the objects alive so far (imports, tables) left out of
    the cyclic collector's passes and its first generation collected less often. Checking
    a file makes many short-lived objects and hardly any cycles; this saves about a tenth
    of the time. The function given is called after each file: it leaves what the run keeps
    of that file (its parse, its findings) out of later passes too, else every full pass
    walks all the files kept so far (a quarter of a 1000-file run's time, in seven passes).
    Everything is as it was afterwards, and the next full pass meets any cycle left."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    try:
        yield gc.freeze
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _start_worker(use_cache: bool) -> None:
    _RUN.append(_Run(use_cache))
    gc.freeze()
    gc.set_threshold(20_000, *gc.get_threshold()[1:])


def check_in_workers(tasks: Sequence[Task], workers: int,
                     caches: dict[str, LintCache] | None) -> list[list[Diagnostic]]:
    """Each task's findings (severities applied, selection not), in task order; the cache
    entries the workers made are added to `caches` (by folder; None: no cache), unwritten."""
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    # fork shares the parent's imports at no cost; it is safe only with one thread
    method = "fork" if threading.active_count() == 1 and hasattr(os, "fork") else "spawn"
    if method == "fork":
        _import_front_ends(tasks)
    context = multiprocessing.get_context(method)
    slices = _slices(tasks, workers * _SLICES_PER_WORKER)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(caches is not None,)) as pool:
        done = pool.map(_check_slice, slices)
        out: list[list[Diagnostic]] = []
        for found, kept in done:
            out.extend(found)
            if caches is not None:
                for folder, entries in kept.items():
                    cache_in(caches, folder).add(entries)
        return out
