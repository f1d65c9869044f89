"""Expansion: a resolved prompt's sweep points, streamed as requests with content ids.

Axes combine like `itertools.product` in the order written (a `zip` is one axis after the
sweep axes). Memory stays flat: nothing is kept per request. Renders dominate the cost,
so a template is rendered again only when a value it reads changes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from promptspec.axes import AxisError, axis_values
from promptspec.errors import SpecError
from promptspec.load import DISK, FileReader
from promptspec.model import FileRef, ListValue, Literal
from promptspec.params import PARAMS, STRIPPED_FIELDS, TEMPLATE_FIELDS, coerce
from promptspec.paths import inside
from promptspec.request import Request
from promptspec.resolve import ResolvedPrompt
from promptspec.templates import TemplateBoundError, render_template, template_info

__all__ = ["PreparedPrompt", "expand_prompt", "prepare"]

_RENDER_CACHE_LIMIT = 4096
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_sha256 = hashlib.sha256


_DIGESTS: dict[tuple[FileReader, str], str] = {}
"""sha256 of each uploaded file, once per process and source."""


def _file_digest(path: str, reader: FileReader) -> str:
    digest = _DIGESTS.get((reader, path))
    if digest is None:
        if reader is DISK:  # streamed: an upload may be large
            with open(path, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
        else:
            digest = hashlib.sha256(reader.read(path)).hexdigest()
        _DIGESTS[(reader, path)] = digest
    return digest


@dataclass(frozen=True, slots=True)
class _Slot:
    """One axis member: its name, whether it is an API parameter, and how to type it."""

    name: str
    param: bool
    tune: bool


@dataclass(frozen=True, slots=True)
class PreparedPrompt:
    """Everything expansion needs, computed once per prompt."""

    rp: ResolvedPrompt
    spec_label: str
    tune_id: int | None
    base_params: dict[str, Any]
    base_ctx: dict[str, Any]
    files: dict[str, str]
    slots: tuple[tuple[_Slot, ...], ...]
    """Per axis, its members (one for a sweep axis, several for a zip)."""
    axes: tuple[Sequence[Any], ...]
    """Per axis, its points: values for a sweep axis, tuples for a zip."""
    templates: tuple[tuple[str, str, tuple[tuple[int, int], ...]], ...]
    """(field, template source, the (axis, member) positions it reads)."""
    root: str
    reader: FileReader = DISK

    def count(self) -> int:
        return math.prod(len(a) for a in self.axes)


def _fail(lit: Any, message: str) -> SpecError:
    return SpecError(f"{lit.span}: {message}")


def _scalar_of(rp: ResolvedPrompt, value: Any) -> Any:
    if isinstance(value, Literal):
        return value.value
    raise _fail(value, "a range, random() or list is allowed only as a sweep axis")


def _file_param(rp: ResolvedPrompt, ref: FileRef, root: str,
                reader: FileReader) -> tuple[dict[str, str], str]:
    path = os.path.normpath(os.path.join(os.path.dirname(rp.spec.path), ref.path))
    if not inside(root, path):
        raise _fail(ref, f"file {ref.path!r} is outside the project root")
    try:
        digest = _file_digest(os.path.realpath(path), reader)
        return {"file_sha256": digest}, os.path.abspath(path)
    except OSError as err:
        raise _fail(ref, f"cannot read file {ref.path!r}: {err.strerror or err}") from None


def _why(name: str, err: Exception) -> str:
    """A render failure as one line: PS301 for a template that reaches past a bound."""
    if isinstance(err, TemplateBoundError):
        return f"PS301 {name}: {err}"
    return f"{name}: {err}"


def _uniform(values: Sequence[Any]) -> bool:
    """Whether equal values of this axis always render alike (one type, no float zeros of
    two signs), so that the values themselves can key the render cache. A range is."""
    if not isinstance(values, list | tuple):
        return True  # a range (floats never -0.0) or random ints
    kinds = {type(v) for v in values}
    if len(kinds) > 1:
        return False
    return float not in kinds or sum(1 for v in values if v == 0) < 2


def _typed_key(value: Any) -> Any:
    """A cache key that tells apart values that are equal but render differently."""
    t = type(value)
    if t is str or t is int:
        return value if t is str else (t, value)
    if t is float:
        return (t, repr(value))
    return (t, value)


def _array_param(rp: ResolvedPrompt, name: str, items: Sequence[Any], root: str,
                 files: dict[str, str], reader: FileReader) -> list[Any]:
    """An array parameter's items (scalars or `FileRef`s); uploaded items become files
    `name[i]`, sent in order (and stale items of a longer earlier point are dropped)."""
    for key in [k for k in files if k.startswith(name + "[")]:
        del files[key]
    out: list[Any] = []
    for i, item in enumerate(items):
        if isinstance(item, FileRef):
            digest, files[f"{name}[{i}]"] = _file_param(rp, item, root, reader)
            out.append(digest)
        else:
            out.append(item)
    return out


def _typed(name: str, value: Any) -> Any:
    p = PARAMS.get(name)
    return coerce(p, value) if p is not None else value


def prepare(rp: ResolvedPrompt, spec_label: str, root: str,
            reader: FileReader = DISK) -> PreparedPrompt:
    """Compute a prompt's constant part and its axes; raise SpecError on bad values.
    Uploaded files are read through `reader`."""
    prompt = rp.prompt.name
    base_params: dict[str, Any] = {}
    files: dict[str, str] = {}
    for name, setting in rp.params.items():
        value = setting.field.value
        if isinstance(value, FileRef):
            base_params[name], files[name] = _file_param(rp, value, root, reader)
            continue
        if isinstance(value, ListValue) and name in PARAMS and PARAMS[name].array:
            items = [i if isinstance(i, FileRef) else getattr(i, "value", None)
                     for i in value.items]
            base_params[name] = _array_param(rp, name, items, root, files, reader)
            continue
        v = _scalar_of(rp, value)
        if v is not None:
            base_params[name] = _typed(name, v)
    base_ctx: dict[str, Any] = {n: _scalar_of(rp, s.field.value) for n, s in rp.vars.items()}
    tune_id: int | None = None
    if rp.tune is not None:
        tv = _scalar_of(rp, rp.tune.field.value)
        tune_id = tv if isinstance(tv, int) and not isinstance(tv, bool) else None

    slots: list[tuple[_Slot, ...]] = []
    axes: list[Sequence[Any]] = []
    position: dict[str, tuple[int, int]] = {}
    for ai, axis in enumerate(rp.axes):
        members: list[_Slot] = []
        columns: list[Sequence[Any]] = []
        for mi, f in enumerate(axis.members):
            values = axis_values(f.value, PARAMS.get(f.name), prompt, f.name)
            if isinstance(values, AxisError):
                raise SpecError(f"{values.span}: {values.message}")
            members.append(_Slot(f.name, f.name in PARAMS, f.name == "tune"))
            columns.append(values)
            position[f.name] = (ai, mi)
        slots.append(tuple(members))
        if axis.is_zip:
            if len({len(c) for c in columns}) > 1:
                raise SpecError(f"{axis.span}: zip members have different lengths")
            axes.append(_Zipped(columns))
        else:
            axes.append(columns[0])

    base_ctx["prompt"] = prompt
    templates: list[tuple[str, str, tuple[tuple[int, int], ...]]] = []
    reads_of: dict[str, set[tuple[int, int]]] = {}
    for name in TEMPLATE_FIELDS:
        source = base_params.get(name)
        if not isinstance(source, str) or name in position:
            continue
        info = template_info(source)
        if info.error is not None:
            raise SpecError(f"{rp.params[name].field.value.span}: template error: {info.error}")
        reads = {position[n] for n in info.names if n in position}
        for n in info.names:  # a template that reads an earlier template reads its axes too
            reads |= reads_of.get(n, set())
        reads_of[name] = reads
        if reads:
            templates.append((name, source, tuple(sorted(reads))))
            continue
        try:  # reads no axis: render once
            rendered = render_template(source, {**base_ctx, **base_params})
        except Exception as err:
            raise SpecError(f"{rp.params[name].field.value.span}: {_why(name, err)}") from None
        base_params[name] = rendered.strip() if name in STRIPPED_FIELDS else rendered
    return PreparedPrompt(rp, spec_label, tune_id, base_params, base_ctx, files,
                          tuple(slots), tuple(axes), tuple(templates), root, reader)


_EAGER_AXIS = 100_000
"""Axes up to this long go to `itertools.product`, which copies each one whole."""


class _Zipped(Sequence[tuple[Any, ...]]):
    """A `zip` axis: its members' values in lock-step, without building the pairs."""

    def __init__(self, columns: list[Sequence[Any]]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns[0])

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return tuple(c[i] for c in self.columns)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return zip(*self.columns, strict=True)


def _product(axes: Sequence[Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
    """The cartesian product, last axis fastest; a long axis is walked, never copied, so
    the first points of a sweep of any size come at once."""
    if all(len(a) <= _EAGER_AXIS for a in axes):
        return itertools.product(*axes)
    return _walk(axes, 0)


def _walk(axes: Sequence[Sequence[Any]], at: int) -> Iterator[tuple[Any, ...]]:
    if at == len(axes):
        yield ()
        return
    if all(len(a) <= _EAGER_AXIS for a in axes[at:]):
        yield from itertools.product(*axes[at:])
        return
    for value in axes[at]:
        for rest in _walk(axes, at + 1):
            yield (value, *rest)


def _point_values(slots: tuple[tuple[_Slot, ...], ...], point: tuple[Any, ...]
                  ) -> Iterator[tuple[_Slot, Any]]:
    for axis_slots, value in zip(slots, point, strict=True):
        if len(axis_slots) == 1:
            yield axis_slots[0], value
        else:
            yield from zip(axis_slots, value, strict=True)


def expand_prompt(pp: PreparedPrompt) -> Iterator[Request]:
    """Stream the prompt's requests in expansion order (the last axis varies fastest)."""
    rp = pp.rp
    prompt = rp.prompt.name
    base_params, base_ctx = pp.base_params, pp.base_ctx
    caches: list[dict[tuple[Any, ...], str]] = [{} for _ in pp.templates]
    uniform = [[_uniform(c) for c in (a.columns if isinstance(a, _Zipped) else [a])]
               for a in pp.axes]
    typed_keys = [not all(uniform[a][m] for a, m in reads) for _, _, reads in pp.templates]
    slots = pp.slots
    sha = _sha256
    dumps = _dumps
    for index, point in enumerate(_product(pp.axes)):
        params = dict(base_params)
        coords: dict[str, Any] = {}
        tune_id = pp.tune_id
        ctx: dict[str, Any] | None = None
        for slot, raw in _point_values(slots, point):
            if isinstance(raw, FileRef):
                params[slot.name], pp.files[slot.name] = _file_param(rp, raw, pp.root,
                                                                     pp.reader)
                coords[slot.name] = raw.path
                continue
            if isinstance(raw, tuple) and slot.param:  # a point of an array parameter
                params[slot.name] = _array_param(rp, slot.name, raw, pp.root, pp.files,
                                                 pp.reader)
                coords[slot.name] = [v.path if isinstance(v, FileRef) else v for v in raw]
                continue
            value = _typed(slot.name, raw)
            coords[slot.name] = value
            if slot.tune:
                tune_id = value
            elif slot.param:
                if value is None:
                    params.pop(slot.name, None)
                else:
                    params[slot.name] = value
        for (name, source, reads), cache, typed in zip(pp.templates, caches, typed_keys,
                                                       strict=True):
            key = tuple(point[a] if len(slots[a]) == 1 else point[a][m] for a, m in reads)
            if typed:  # 1, 1.0 and True are equal keys but render apart
                key = tuple(map(_typed_key, key))
            rendered = cache.get(key)
            if rendered is None:
                if ctx is None:
                    ctx = {**base_ctx, **params, **coords}
                try:
                    rendered = render_template(source, ctx)
                except Exception as err:
                    raise SpecError(f"{rp.params[name].field.value.span}: "
                                    f"{_why(name, err)} at point {index} ({coords})") from None
                if name in STRIPPED_FIELDS:
                    rendered = rendered.strip()
                if len(cache) >= _RENDER_CACHE_LIMIT:
                    cache.clear()
                cache[key] = rendered
            params[name] = rendered
            if ctx is not None:
                ctx[name] = rendered
        if tune_id is None:
            raise SpecError(f"{rp.prompt.name_span}: no tune id reaches prompt {prompt!r}")
        canon = dumps(params)
        blob = '{"params":' + canon + ',"tune_id":' + str(tune_id) + "}"
        rid = "ps_" + sha(blob.encode()).hexdigest()[:16]
        yield Request(rid, pp.spec_label, prompt, index, coords, tune_id, params, dict(pp.files),
                      canon)
