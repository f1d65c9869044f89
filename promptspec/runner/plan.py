"""The plan of a run: what would be sent, counted per prompt, before anything is sent.

Counts come from the axes' sizes (a product, never an enumeration), and the plan holds at
most `max_requests` requests, so a plan of a sweep of any size answers at once and a
refused run never holds a huge expansion. Uploads are checked to lie inside their
spec's project root before any file is opened for sending.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from promptspec.errors import RunError
from promptspec.paths import inside, project_root
from promptspec.request import Request, image_count, images_of

if TYPE_CHECKING:
    from promptspec.expand import PreparedPrompt

__all__ = ["Plan", "make_plan", "plan_prompts", "upload_files"]


@dataclass(slots=True)
class Plan:
    max_requests: int
    requests: list[Request] = field(default_factory=list)
    per_prompt: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(spec, prompt) -> [requests, images], in first-seen order."""
    total: int = 0
    images: int = 0

    @property
    def too_many(self) -> bool:
        return self.total > self.max_requests

    def lines(self) -> list[str]:
        out = ["Plan:"]
        for (spec, prompt), (n, imgs) in self.per_prompt.items():
            out.append(f"  {spec}: {prompt}: {n} request{'s' * (n != 1)}, "
                       f"{imgs} image{'s' * (imgs != 1)}")
        out.append(f"  total: {self.total} request{'s' * (self.total != 1)}, "
                   f"{self.images} image{'s' * (self.images != 1)}")
        return out


def make_plan(requests: Iterable[Request], max_requests: int) -> Plan:
    plan = Plan(max_requests)
    for r in requests:
        n_images = images_of(r.params)
        entry = plan.per_prompt.setdefault((r.spec, r.prompt), [0, 0])
        entry[0] += 1
        entry[1] += n_images
        plan.total += 1
        plan.images += n_images
        if plan.total <= max_requests:
            plan.requests.append(r)
    return plan


def _prompt_images(pp: PreparedPrompt, count: int) -> int:
    """Images of all the prompt's requests (`num_images`, 1 when unset), from its axes."""
    for ai, slots in enumerate(pp.slots):
        for mi, slot in enumerate(slots):
            if slot.name == "num_images":
                axis = pp.axes[ai]
                per_point = sum(image_count(v if len(slots) == 1 else v[mi]) for v in axis)
                return count // len(axis) * per_point if axis else 0
    return count * image_count(pp.base_params.get("num_images"))


def plan_prompts(prompts: Iterable[PreparedPrompt], max_requests: int,
                 collect: bool = True) -> Plan:
    """The plan of prepared prompts: sizes multiplied out, never enumerated. The requests
    are expanded only for a plan within `max_requests`, and only when `collect` (a dry run
    needs none)."""
    from promptspec.expand import expand_prompt

    plan = Plan(max_requests)
    prepared = list(prompts)
    for pp in prepared:
        n = pp.count()
        images = _prompt_images(pp, n)
        entry = plan.per_prompt.setdefault((pp.spec_label, pp.rp.prompt.name), [0, 0])
        entry[0] += n
        entry[1] += images
        plan.total += n
        plan.images += images
    if collect and not plan.too_many:
        for pp in prepared:
            plan.requests.extend(expand_prompt(pp))
    return plan


def upload_files(requests: Iterable[Request]) -> dict[str, dict[str, Path]]:
    """Each request's uploads (parameter -> real path), refusing any outside its project root."""
    out: dict[str, dict[str, Path]] = {}
    roots: dict[str, Path] = {}
    for r in requests:
        if not r.files:
            continue
        root = roots.get(r.spec) or roots.setdefault(r.spec, Path(project_root(r.spec)))
        files: dict[str, Path] = {}
        for name, path in r.files.items():
            real = Path(os.path.realpath(path))
            if not inside(str(root), str(real)):
                raise RunError(f"{r.spec}: {r.prompt}: {name} file {path} lies outside the "
                               f"project root {root}; refusing to upload it")
            if not real.is_file():
                raise RunError(f"{r.spec}: {r.prompt}: {name} file {path} cannot be read")
            files[name] = real
        out[r.id] = files
    return out
