"""Expansion: a resolved prompt's sweep points, streamed as requests with content ids.

Axes combine like `itertools.product` in the order written (a `zip` is one axis after the
sweep axes). Memory stays flat: nothing is kept per request. Renders dominate the cost,
so a template is rendered again only when a value it reads changes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

from promptspec.axes import AxisError, axis_values
from promptspec.errors import SpecError
from promptspec.load import DISK, FileReader, file_sha256
from promptspec.model import FileRef, ListValue, Literal, record
from promptspec.params import PARAMS, STRIPPED_FIELDS, TEMPLATE_FIELDS, coerce
from promptspec.paths import inside
from promptspec.request import Request, id_of
from promptspec.resolve import ResolvedPrompt
from promptspec.templates import TemplateBoundError, render_template, template_info

__all__ = ["PreparedPrompt", "expand_prompt", "prepare"]

_RENDER_CACHE_LIMIT = 4096
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


_DIGESTS: dict[tuple[Any, ...], str] = {}
"""sha256 of each uploaded file, once per process and version of the file: a file on disk
is keyed by its size, inode and modification time too, so an edit is seen."""


def _file_digest(path: str, reader: FileReader) -> str:
    key: tuple[Any, ...] = (reader, path)
    if reader is DISK:
        try:
            st = os.stat(path)
            key = (reader, path, st.st_size, st.st_ino, st.st_mtime_ns)
        except OSError:
            pass  # opening it below reports the error
    digest = _DIGESTS.get(key)
    if digest is None:
        if reader is DISK:
            digest = file_sha256(path)
        else:
            digest = hashlib.sha256(reader.read(path)).hexdigest()
        _DIGESTS[key] = digest
    return digest


@record
class _Slot:
    """One axis member: its name, whether it is an API parameter, and how to type it."""

    name: str
    param: bool
    tune: bool


@record
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


_Entry = tuple[str, tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...], Any,
               tuple[str | None, ...], tuple[Any, ...], tuple[tuple[str, str], ...]]
"""One value of one axis, worked out once: (its coords as JSON members, its coords, the
params it sets (None: unset), the tune id it sets (_KEEP: none), each member's canonical
`"name":value` or None, each member's value, the files it uploads)."""

_KEEP = object()


def _why(name: str, err: Exception) -> str:
    """A render failure as one line: PS301 for a template that reaches past a bound."""
    if isinstance(err, TemplateBoundError):
        return f"PS301 {name}: {err}"
    return f"{name}: {err}"


def _typed_key(value: Any) -> Any:
    """A render-cache key that tells apart values that are equal but render differently."""
    t = type(value)
    if t is str:
        return value
    if t is float:
        return (t, repr(value))
    return (t, value)


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


_MEMO_LIMIT = 1 << 16
"""Axes up to this long keep each value's entry; longer ones work each out when reached
(memory stays flat, and `--limit` answers at once on a sweep of any size)."""


class _Values:
    """One axis's values as entries, each worked out on first use: typed, encoded, its
    files digested. A file given to a member that is no parameter (lint refuses it) sets
    `odd[0]`, and requests are then encoded whole."""

    def __init__(self, pp: PreparedPrompt, ai: int, odd: list[bool]) -> None:
        self.pp = pp
        self.slots = pp.slots[ai]
        self.values = pp.axes[ai]
        self.odd = odd
        self.memo: dict[int, _Entry] | None = {} if len(self.values) <= _MEMO_LIMIT else None
        self._all: list[_Entry] | None = None

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i: int) -> _Entry:
        memo = self.memo
        if memo is None:
            return self._entry(self.values[i])
        found = memo.get(i)
        if found is None:
            found = memo[i] = self._entry(self.values[i])
        return found

    def all(self) -> Iterator[_Entry]:
        """Every entry in order (the last axis is walked once per point of the others)."""
        if self.memo is None:
            return (self._entry(v) for v in self.values)
        if self._all is None:
            self._all = [self[i] for i in range(len(self.values))]
        return iter(self._all)

    def _entry(self, value: Any) -> _Entry:
        pp, slots = self.pp, self.slots
        values = (value,) if len(slots) == 1 else value
        coords: list[tuple[str, Any]] = []
        params: list[tuple[str, Any]] = []
        frags: list[str | None] = []
        files: list[tuple[str, str]] = []
        tune: Any = _KEEP
        keys: list[Any] = []
        for slot, raw in zip(slots, values, strict=True):
            if isinstance(raw, tuple) and slot.param:  # a point of an array parameter
                named: dict[str, str] = {}
                items = _array_param(pp.rp, slot.name, raw, pp.root, named, pp.reader)
                coords.append((slot.name, [v.path if isinstance(v, FileRef) else v
                                           for v in raw]))
                keys.append(_typed_key(raw))  # 1, 1.0, True render apart
                params.append((slot.name, items))
                files.append((slot.name + "[", ""))  # drops an earlier point's items first
                files.extend(named.items())
                frags.append(_dumps(slot.name) + ":" + _dumps(items))
                continue
            keys.append(_typed_key(raw))  # 1, 1.0, True render apart
            if isinstance(raw, FileRef):
                sent, path = _file_param(pp.rp, raw, pp.root, pp.reader)
                coords.append((slot.name, raw.path))
                params.append((slot.name, sent))
                files.append((slot.name, path))
                if slot.param and not slot.tune:
                    frags.append(_dumps(slot.name) + ":" + _dumps(sent))
                else:
                    self.odd[0] = True
                continue
            typed = _typed(slot.name, raw)
            coords.append((slot.name, typed))
            if slot.tune:
                tune = typed
            elif slot.param:
                params.append((slot.name, typed))
                frags.append(None if typed is None else _dumps(slot.name) + ":" + _dumps(typed))
        coords_json = ", ".join(_dumps_pair(n, v) for n, v in coords)
        return (coords_json, tuple(coords), tuple(params), tune, tuple(frags), tuple(keys),
                tuple(files))


def _with_files(files: dict[str, str], added: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """`files` with an axis value's uploads; `("name[", "")` first drops the items an
    array parameter had before."""
    out = dict(files)
    for key, path in added:
        if not path:
            for stale in [k for k in out if k.startswith(key)]:
                del out[stale]
        else:
            out[key] = path
    return out


def _odometer(axes: list[_Values]) -> Iterator[list[_Entry]]:
    """The points of the axes in product order (the last varies fastest), looked up by
    index so that no axis is enumerated ahead."""
    sizes = [len(a) for a in axes]
    if 0 in sizes:
        return
    index = [0] * len(axes)
    while True:
        yield [a[i] for a, i in zip(axes, index, strict=True)]
        k = len(axes) - 1
        while k >= 0:
            index[k] += 1
            if index[k] < sizes[k]:
                break
            index[k] = 0
            k -= 1
        if k < 0:
            return


def _dumps_pair(name: str, value: Any) -> str:
    return f"{_dumps_plain(name)}: {_dumps_plain(value)}"


_dumps_plain = json.JSONEncoder(ensure_ascii=False).encode
"""`json.dumps` with its default separators, as `expand --format jsonl` writes coords."""


def _layout(pp: PreparedPrompt) -> list[str | int]:
    """The canonical JSON of params, key by key in sorted order: a constant `"name":value`,
    or the index of the point's own fragment (axis members first, then templates)."""
    refs: dict[str, int] = {}
    for slot in (s for axis in pp.slots for s in axis):
        if slot.param and not slot.tune:
            refs[slot.name] = len(refs)
    members = len(refs)
    for i, (name, _, _) in enumerate(pp.templates):
        refs[name] = members + i
    names = sorted(set(pp.base_params) | set(refs))
    return [refs[n] if n in refs else _dumps(n) + ":" + _dumps(pp.base_params[n])
            for n in names]


_NO_AXIS: _Entry = ("", (), (), _KEEP, (), (), ())


def expand_prompt(pp: PreparedPrompt) -> Iterator[Request]:
    """Stream the prompt's requests in expansion order (the last axis varies fastest).

    Each axis value is typed and encoded once, what the other axes give is merged once per
    run of the last axis, each distinct template context is rendered once (while it
    recurs), and a request's canonical JSON is put together from encoded parts in key
    order: per point there is no JSON encoding and no coercion left."""
    rp = pp.rp
    prompt = rp.prompt.name
    odd = [False]
    axes = [_Values(pp, ai, odd) for ai in range(len(pp.axes))]
    outer_axes = axes[:-1]
    last = len(axes) - 1
    layout = _layout(pp)
    templates = [(name, source, [(a, m) for a, m in reads if a != last],
                  [m for a, m in reads if a == last])
                 for name, source, reads in pp.templates]
    caches: list[dict[tuple[Any, ...], tuple[str, str]]] = [{} for _ in templates]
    label = pp.spec_label
    index = 0
    if any(len(a) == 0 for a in axes):
        return
    for outer in _odometer(outer_axes):
        o_params = pp.base_params.copy()
        o_coords: dict[str, Any] = {}
        o_frags: list[str | None] = []
        o_files = pp.files
        o_tune = pp.tune_id
        for e in outer:
            o_coords.update(e[1])
            o_params.update(e[2])
            o_frags.extend(e[4])
            if e[3] is not _KEEP:
                o_tune = e[3]
            if e[6]:
                o_files = _with_files(o_files, e[6])
        o_json = ", ".join([e[0] for e in outer])
        o_keys = [tuple([outer[a][5][m] for a, m in reads]) for _, _, reads, _ in templates]
        for e in (axes[-1].all() if axes else iter([_NO_AXIS])):
            params = o_params.copy()
            params.update(e[2])
            coords = o_coords.copy()
            coords.update(e[1])
            frags = o_frags + list(e[4])
            tune_id = o_tune if e[3] is _KEEP else e[3]
            files = _with_files(o_files, e[6]) if e[6] else o_files.copy()
            if None in frags:  # an axis value that unsets its parameter
                for name in [n for n, v in params.items() if v is None]:
                    del params[name]
            ctx: dict[str, Any] | None = None
            for ti, (name, source, _, inner_reads) in enumerate(templates):
                key = (o_keys[ti], *[e[5][m] for m in inner_reads])
                cache = caches[ti]
                hit = cache.get(key)
                if hit is None:
                    if ctx is None:
                        ctx = {**pp.base_ctx, **params, **coords}
                    hit = _render(pp, name, source, ctx, index, coords)
                    if len(cache) >= _RENDER_CACHE_LIMIT:
                        cache.clear()
                    cache[key] = hit
                params[name] = hit[0]
                frags.append(hit[1])
                if ctx is not None:
                    ctx[name] = hit[0]
            if tune_id is None:
                raise SpecError(f"{rp.prompt.name_span}: no tune id reaches prompt {prompt!r}")
            if odd[0]:
                canon = _dumps(params)
            else:
                parts = [x if x.__class__ is str else frags[x]  # type: ignore[index]
                         for x in layout]
                canon = "{" + ",".join([x for x in parts if x is not None]) + "}"
            blob = '{"params":' + canon + ',"tune_id":' + str(tune_id) + "}"
            rid = id_of(blob)
            coords_json = (o_json + ", " + e[0] if o_json else e[0]) if e[0] else o_json
            yield Request(rid, label, prompt, index, coords, tune_id, params, files, canon,
                          "{" + coords_json + "}")
            index += 1


def _render(pp: PreparedPrompt, name: str, source: str, ctx: dict[str, Any], index: int,
            coords: dict[str, Any]) -> tuple[str, str]:
    """A template rendered at one point, and its canonical `"name":value`."""
    try:
        rendered = render_template(source, ctx)
    except Exception as err:
        raise SpecError(f"{pp.rp.params[name].field.value.span}: {_why(name, err)} at point "
                        f"{index} ({coords})") from None
    if name in STRIPPED_FIELDS:
        rendered = rendered.strip()
    return rendered, _dumps(name) + ":" + _dumps(rendered)
