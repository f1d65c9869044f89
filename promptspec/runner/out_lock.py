"""One `run` per run folder: a lock on `OUT/.promptspec.lock`, and the folder made ready.

    prepared_out(out_dir)   create OUT (one line, exit 2, when it cannot be: a file in its
                            place, a read-only parent)
    hold_out(out_dir)       a context manager holding the folder's lock; a second holder
                            gets RunError (exit 2) naming the folder and the holder's pid

The lock is `fcntl.flock` on a file inside OUT, so the kernel releases it when the holder
dies, however it dies; the file keeps the last holder's process id for the message.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from promptspec.errors import RunError

__all__ = ["LOCK_NAME", "hold_out", "prepared_out", "storage_problem"]

LOCK_NAME = ".promptspec.lock"


def storage_problem(out_dir: Path, err: BaseException) -> RunError:
    """A failure to write the run folder (a full disk, a read-only folder) as one line."""
    reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return RunError(f"{out_dir}: cannot write the run folder: {reason}; the ledger keeps "
                    "what was done, run again to resume")


def prepared_out(out_dir: Path) -> None:
    """Create the run folder (and its parents), or raise RunError saying why not."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RunError(f"{out_dir}: not a folder; --out needs a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        if err.errno in (errno.ENOTDIR, errno.EEXIST):
            raise RunError(f"{out_dir}: cannot create the run folder: a part of the path is "
                           "a file, not a folder") from None
        raise RunError(f"{out_dir}: cannot create the run folder: "
                       f"{err.strerror or err}") from None


@contextlib.contextmanager
def hold_out(out_dir: Path) -> Iterator[None]:
    """Hold OUT's lock for the duration; RunError if another live process holds it."""
    import fcntl

    path = out_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as err:
        raise storage_problem(out_dir, err) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise RunError(f"{out_dir}: another promptspec run (process {holder}) is using "
                           "this folder; wait for it to finish or choose another --out"
                           ) from None
        with contextlib.suppress(OSError):  # only the message needs the pid
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
