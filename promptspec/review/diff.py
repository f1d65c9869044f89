"""`diff`: the requests of the specs at a git revision against the working tree, per prompt,
by id, with the images and the estimated cost they add or remove; and its three formats.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from promptspec.config import load_config
from promptspec.errors import SpecError, UsageError
from promptspec.expand import PreparedPrompt, expand_prompt
from promptspec.load import discover
from promptspec.paths import folder_root
from promptspec.request import images_of
from promptspec.review.git_revision import Revision, resolve_commit, work_tree
from promptspec.review.lock import Prepare, relative_spec

__all__ = ["PromptChange", "Review", "compare", "diff_revision", "requests_of"]


def requests_of(pp: PreparedPrompt) -> dict[str, int]:
    """The prompt's request ids, in expansion order, each with the images it asks for."""
    out: dict[str, int] = {}
    for req in expand_prompt(pp):
        out.setdefault(req.id, images_of(req.params))
    return out


@dataclass(frozen=True, slots=True)
class PromptChange:
    spec: str
    prompt: str
    added_ids: tuple[str, ...]
    removed_ids: tuple[str, ...]
    images_added: int
    images_removed: int
    show_ids: bool
    """False when either side has more than `max-requests` requests: ids left out."""

    def cost_mc(self, per_image: int | None) -> int | None:
        return None if per_image is None else (self.images_added - self.images_removed) * per_image


def compare(spec: str, prompt: str, old: dict[str, int], new: dict[str, int],
            max_requests: int) -> PromptChange | None:
    """The change of one prompt (an empty side: the prompt exists only on the other); None
    when its set of requests is the same."""
    if old.keys() == new.keys():
        return None
    added = tuple(i for i in new if i not in old)
    removed = tuple(i for i in old if i not in new)
    return PromptChange(spec, prompt, added, removed, sum(new[i] for i in added),
                        sum(old[i] for i in removed),
                        max(len(old), len(new)) <= max_requests)


@dataclass(frozen=True, slots=True)
class Review:
    rev: str
    changes: tuple[PromptChange, ...]
    cost_per_image_mc: int | None

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def totals(self) -> dict[str, int]:
        out = {
            "added": sum(len(c.added_ids) for c in self.changes),
            "removed": sum(len(c.removed_ids) for c in self.changes),
            "images_added": sum(c.images_added for c in self.changes),
            "images_removed": sum(c.images_removed for c in self.changes),
        }
        if self.cost_per_image_mc is not None:
            out["cost_mc"] = (out["images_added"] - out["images_removed"]) * self.cost_per_image_mc
        return out

    def to_dict(self) -> dict[str, object]:
        prompts: list[dict[str, object]] = []
        for c in self.changes:
            item: dict[str, object] = {
                "spec": c.spec, "prompt": c.prompt, "added": len(c.added_ids),
                "removed": len(c.removed_ids), "images_added": c.images_added,
                "images_removed": c.images_removed,
            }
            if c.show_ids:
                item["added_ids"] = list(c.added_ids)
                item["removed_ids"] = list(c.removed_ids)
            cost = c.cost_mc(self.cost_per_image_mc)
            if cost is not None:
                item["cost_mc"] = cost
            prompts.append(item)
        return {"prompts": prompts, "totals": self.totals()}

    # -- formats ---------------------------------------------------------------------------

    def _rows(self) -> Iterable[tuple[str, str, int, int, int, int, int | None]]:
        for c in self.changes:
            yield (c.spec, c.prompt, len(c.added_ids), len(c.removed_ids), c.images_added,
                   c.images_removed, c.cost_mc(self.cost_per_image_mc))

    def _header(self) -> list[str]:
        head = ["spec", "prompt", "requests added", "requests removed", "images added",
                "images removed"]
        return [*head, "cost change (mc)"] if self.cost_per_image_mc is not None else head

    def _cells(self, row: tuple[str, str, int, int, int, int, int | None]) -> list[str]:
        spec, prompt, *counts, cost = row
        cells = [spec, prompt, *(str(n) for n in counts)]
        return [*cells, f"{cost:+d}"] if self.cost_per_image_mc is not None else cells

    def _total_cells(self) -> list[str]:
        t = self.totals()
        cells = ["total", "", *(str(t[k]) for k in ("added", "removed", "images_added",
                                                    "images_removed"))]
        return [*cells, f"{t['cost_mc']:+d}"] if "cost_mc" in t else cells

    def to_text(self) -> str:
        """A table aligned in columns, numbers to the right; empty when nothing changed."""
        if not self.changes:
            return ""
        table = [self._header(), *(self._cells(r) for r in self._rows()), self._total_cells()]
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        lines = []
        for row in table:
            cells = [c.ljust(w) if i < 2 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(row, widths, strict=True))]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        """A table for a pull-request comment or a job summary."""
        title = f"### promptspec diff: `{self.rev}` → working tree\n\n"
        if not self.changes:
            return title + "No prompt's requests changed.\n"

        def esc(text: str) -> str:
            return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")

        head = self._header()
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join([" --- ", " --- "] + [" ---: "] * (len(head) - 2)) + "|"]
        for row in self._rows():
            spec, prompt, *rest = self._cells(row)
            lines.append("| " + " | ".join([esc(spec), esc(prompt), *rest]) + " |")
        total = self._total_cells()
        lines.append("| **total** | | " + " | ".join(f"**{c}**" for c in total[2:]) + " |")
        return title + "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _prepared_at(prepare: Prepare, specs: Sequence[str], revision: Revision
                 ) -> list[PreparedPrompt]:
    """The prompts of the specs as the revision holds them, prepared (not expanded)."""
    try:
        return list(prepare(list(dict.fromkeys(specs)), reader=revision))
    except SpecError as err:
        raise SpecError(f"at {revision.rev}:\n{err}") from None


def _requests_at(pp: PreparedPrompt | None, revision: Revision) -> dict[str, int]:
    """`requests_of` a prompt of the revision (none: an empty side)."""
    try:
        return requests_of(pp) if pp is not None else {}
    except SpecError as err:
        raise SpecError(f"at {revision.rev}:\n{err}") from None


def diff_revision(args: Sequence[str], prepare: Prepare) -> Review:
    """`[REV] [PATH]...`: the requests of the specs at git revision REV (default HEAD; files
    and imports read from it) against the working tree. Raises UsageError (exit 2) outside a
    git repository, for a bad revision, or for a path on neither side."""
    top = work_tree(".")
    paths = list(args)
    rev, rev_given = "HEAD", False
    if paths and resolve_commit(top, paths[0]) is not None:
        rev, rev_given = paths.pop(0), True
    commit = resolve_commit(top, rev)
    if commit is None:
        raise UsageError(f"{rev!r} is not a revision of the repository at {top}")
    root = folder_root(os.getcwd())
    config = load_config(root)
    changes: list[PromptChange] = []
    with Revision(top, rev, commit) as revision:  # open while the revision's prompts expand
        new_specs: list[str] = []
        old_specs: list[str] = []
        for i, p in enumerate(paths or ["."]):
            on_disk, at_rev = os.path.exists(p), revision.exists(p)
            if not on_disk and not at_rev:
                what = "a revision, nor " if i == 0 and not rev_given else ""
                raise UsageError(f"{p!r} is not {what}a path in the working tree or at {rev}")
            if on_disk:
                new_specs.extend(discover([p]))
            old_specs.extend(revision.specs(p))

        # prompts are kept prepared, not expanded: ids are held for one prompt at a time
        old: dict[tuple[str, str], PreparedPrompt] = {}
        for pp in _prepared_at(prepare, old_specs, revision):
            old[(relative_spec(pp.spec_label, root), pp.rp.prompt.name)] = pp
        for pp in prepare(list(dict.fromkeys(new_specs))):
            key = (relative_spec(pp.spec_label, root), pp.rp.prompt.name)
            change = compare(*key, _requests_at(old.pop(key, None), revision), requests_of(pp),
                             config.max_requests)
            if change is not None:
                changes.append(change)
        for key, before in old.items():  # prompts gone from the working tree
            change = compare(*key, _requests_at(before, revision), {}, config.max_requests)
            if change is not None:
                changes.append(change)
    changes.sort(key=lambda c: (c.spec, c.prompt))
    return Review(rev, tuple(changes), config.cost_per_image_mc)
