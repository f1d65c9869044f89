"""What a run may send, decided before anything is sent: its shard, and the limits on
what it would still create (`--max-requests`, `--max-images`) after what the ledger holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from promptspec.errors import UsageError
from promptspec.request import Request, images_of
from promptspec.runner.plan import Plan, make_plan

__all__ = ["Admission", "admit", "held_ids", "in_shard", "parse_shard", "shard_of",
           "too_many"]

_SHARD = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,9})\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` with 1 <= I <= N."""
    m = _SHARD.match(text)
    if not m or not 1 <= int(m[1]) <= int(m[2]):
        raise UsageError(f"--shard {text!r}: expected I/N with 1 <= I <= N, such as 2/3")
    return int(m[1]), int(m[2])


def in_shard(request_id: str, shard: tuple[int, int]) -> bool:
    """The id's 16 hex digits (after `ps_`), read as a number, are I-1 modulo N."""
    i, n = shard
    return int(request_id[3:19], 16) % n == i - 1


def shard_of(requests: Iterable[Request], shard: tuple[int, int] | None) -> Iterator[Request]:
    for r in requests:
        if shard is None or in_shard(r.id, shard):
            yield r


@dataclass(slots=True)
class Admission:
    plan: Plan
    held: int = 0
    """Requests of the plan that the ledger already holds (created, in flight, settled)."""
    to_create: int = 0
    images: int = 0
    """Images of the requests still to create."""

    def lines(self) -> list[str]:
        out = self.plan.lines()
        if self.held:
            out.append(f"  already in the ledger: {self.held}; still to create: "
                       f"{self.to_create} request{'s' * (self.to_create != 1)}, "
                       f"{self.images} image{'s' * (self.images != 1)}")
        return out


def admit(
    requests: Iterable[Request],
    max_requests: int,
    max_images: int | None,
    held: set[str],
) -> Admission:
    """The plan, refused (UsageError, exit 2) when what it would still create exceeds
    `max_requests` requests or `max_images` images (`held`: the ids the ledger holds). The
    requests are walked once and only until the limit is passed: at most `max_requests` to
    create plus what the ledger holds are kept, so a shard of any size is refused at once."""
    seen: dict[str, Request] = {}
    todo: set[str] = set()
    for r in requests:
        seen.setdefault(r.id, r)
        if r.id not in held:
            todo.add(r.id)
            if len(todo) > max_requests:
                raise _over(max_requests, bool(held))
    plan = make_plan(seen.values(), len(seen))
    adm = Admission(plan, held=len(seen) - len(todo), to_create=len(todo),
                    images=sum(images_of(seen[i].params) for i in todo))
    if max_images is not None and adm.images > max_images:
        raise UsageError(f"refusing to create {adm.images} images: more than --max-images "
                         f"{max_images}")
    return adm


def _over(limit: int, held: bool) -> UsageError:
    still = " still to create" if held else ""
    return UsageError(f"refusing to send more than {limit} requests{still} "
                      "(raise --max-requests or [tool.promptspec] max-requests)")


def too_many(n: int, limit: int, held: bool) -> UsageError:
    still = " still to create" if held else ""
    return UsageError(f"refusing to send {n} requests{still}: more than the maximum of {limit} "
                      "(raise --max-requests or [tool.promptspec] max-requests)")


def held_ids(ledger_url: str | None, out_dir: Path, retry_failed: bool) -> set[str]:
    """Ids the run's ledger holds beyond planned (and beyond failed with `retry_failed`);
    nothing, and no file created, when `OUT/run.sqlite` does not exist yet."""
    from promptspec.runner.ledgers import open_ledger

    if not ledger_url and not (out_dir / "run.sqlite").is_file():
        return set()
    with open_ledger(ledger_url, out_dir) as ledger:
        return ledger.held_ids(retry_failed)
