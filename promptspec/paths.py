"""Where things are: one definition of each file-system policy the stages share.

    syntax_of(path)         "yaml" for `*.yaml`/`*.yml` (so `*.pspec.yaml`), else "dsl"
    is_spec_path(name)      what discovery picks up: `*.pspec`, `*.pspec.yaml`, `*.pspec.yml`
    spec_stem(path)         `specs/demo.pspec.yaml` -> `demo`
    project_root(path)      the nearest folder holding `pyproject.toml` or `.git`, else the
                            spec's own folder (the contract's import and upload boundary)
    folder_root(folder)     the same, seen from a folder (`lock` and `diff`: the current one)
    work_tree_top(folder)   the nearest folder holding `.git`, else the folder itself
    inside(root, path)      whether `path`, links resolved, lies inside `root`
    atomic_write(path, ..)  a temporary file in the same folder, flushed, renamed over the old
    trusted(st, kind)       a real folder or file of this user that no one else may write
    private_cache(name)     `$XDG_CACHE_HOME/promptspec/NAME`, made 0700, if it can be trusted
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from functools import lru_cache

__all__ = [
    "DSL_SUFFIX",
    "SPEC_SUFFIXES",
    "YAML_SUFFIXES",
    "atomic_write",
    "folder_root",
    "inside",
    "is_spec_path",
    "nearest",
    "private_cache",
    "project_root",
    "real_project_root",
    "spec_stem",
    "syntax_of",
    "trusted",
    "work_tree_top",
]

DSL_SUFFIX = ".pspec"
YAML_SUFFIXES = (".pspec.yaml", ".pspec.yml")
SPEC_SUFFIXES = (*YAML_SUFFIXES, DSL_SUFFIX)


def syntax_of(path: str) -> str:
    """The front end a file is read with: YAML for any `.yaml`/`.yml` name, else the DSL."""
    return "yaml" if path.endswith((".yaml", ".yml")) else "dsl"


def is_spec_path(path: str) -> bool:
    """Whether discovery picks the file up by its name."""
    return path.endswith(SPEC_SUFFIXES)


def spec_stem(path: str) -> str:
    """The file name without its spec suffix: `specs/demo.pspec` -> `demo`."""
    name = os.path.basename(path)
    for suffix in (*SPEC_SUFFIXES, ".yaml", ".yml"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def nearest(start: str, markers: str | tuple[str, ...],
            test: Callable[[str], bool] = os.path.exists) -> str | None:
    """`start` or its nearest ancestor folder holding one of `markers` (as `test` sees it)."""
    if isinstance(markers, str):
        markers = (markers,)
    d = start
    while True:
        if any(test(os.path.join(d, m)) for m in markers):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


@lru_cache(maxsize=256)
def _root_from(start: str) -> str:
    return nearest(start, ("pyproject.toml", ".git")) or start


def project_root(path: str) -> str:
    """The project root of a spec file: its nearest ancestor folder (its own folder first)
    holding `pyproject.toml` or `.git`, else the spec's own folder. Links are resolved."""
    return real_project_root(os.path.realpath(path))


def real_project_root(real: str) -> str:
    """`project_root` of a spec file whose path is already real (links resolved)."""
    return _root_from(os.path.dirname(real))


def folder_root(folder: str) -> str:
    """The project root seen from a folder: the folder itself or its nearest ancestor
    holding `pyproject.toml` or `.git`, else the folder. Links are resolved."""
    return _root_from(os.path.realpath(folder))


def work_tree_top(folder: str) -> str:
    """The nearest folder above `folder` (itself included) holding `.git`, else `folder`."""
    return nearest(folder, (".git",)) or folder


def inside(root: str, path: str) -> bool:
    """Whether `path` lies inside `root` once every link in both is resolved."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _mode_for(target: str) -> int:
    # the old file's mode; for a new file, what `open()` would have given it
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, sync: bool = True,
                 mode: int | None = None) -> None:
    """Replace `path` with `data` whole, or leave it as it was.

    The bytes go to a temporary file in the same folder, are flushed to disk and renamed
    over `path`; on any failure (a full disk, a size limit) the temporary file is removed
    and the error raised, the old file intact. A string is written as UTF-8. `sync=False`
    skips the fsync, for files that can be fetched again (images, cache entries): a kill
    still never leaves half a file, only a power cut could. `mode` sets the new file's
    permission bits (default: the old file's, else what `open()` would give).
    """
    target = os.fspath(path)
    folder = os.path.dirname(target) or "."
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(target) if mode is None else mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def trusted(st: os.stat_result, kind: int) -> bool:
    """Whether an `lstat` result is a real `kind` (stat.S_IFDIR, S_IFREG; not a link) owned
    by this user and writable by no one else: the test every cache passes before use."""
    return (stat.S_IFMT(st.st_mode) == kind and st.st_uid == os.geteuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def private_cache(name: str = "") -> str | None:
    """The user's own cache folder for promptspec (`$XDG_CACHE_HOME/promptspec`, else
    `~/.cache/promptspec`), or its subfolder `name`, created with mode 0700; None when it
    cannot be made or is not to be trusted. Never the shared temporary folder."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "promptspec", name) if name else os.path.join(base, "promptspec")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return folder if trusted(os.lstat(folder), stat.S_IFDIR) else None
    except OSError:
        return None
