"""Resolution: imports, presets and the merge order, giving each prompt its settings and axes.

For each prompt, parameters and vars merge, later winning: file vars -> imported vars ->
presets in `extends` order (each preset's own `extends` first) -> the prompt's body; the
sweep point comes last, in expansion. Each setting remembers where it was made, so a rule
can name the other place.
"""

from __future__ import annotations

import os
from dataclasses import field

from promptspec.diagnostics import Code, Diagnostic
from promptspec.errors import SpecReadError
from promptspec.load import DISK, FileReader, Parsed, load
from promptspec.model import Field, Import, Preset, Prompt, Ref, Span, SpecFile, maker, record
from promptspec.params import did_you_mean
from promptspec.paths import inside, real_project_root

__all__ = [
    "AxisDef",
    "Resolution",
    "ResolvedPrompt",
    "Setting",
    "resolve",
]


@record
class Setting:
    """A value that reaches a prompt, and where it was set (`origin`, e.g. "preset base")."""

    field: Field
    origin: str

    @property
    def name(self) -> str:
        return self.field.name


@record
class AxisDef:
    """One axis of the expansion: a sweep axis (one member) or a zip (several members)."""

    members: tuple[Field, ...]
    is_zip: bool
    span: Span


@record
class ResolvedPrompt:
    spec: SpecFile
    prompt: Prompt
    tune: Setting | None
    params: dict[str, Setting]
    """Every field that reaches the prompt except `tune`: API parameters and unknown names."""
    vars: dict[str, Setting]
    presets: tuple[Preset, ...]
    """The presets applied, in merge order."""
    axes: tuple[AxisDef, ...]
    family: Setting | None = None
    """The `family` key that reaches the prompt (never sent, not in the id)."""

    @property
    def name(self) -> str:
        return self.prompt.name

    def axis_names(self) -> list[str]:
        return [m.name for a in self.axes for m in a.members]


@record
class Resolution:
    path: str
    root: str
    spec: SpecFile | None
    prompts: tuple[ResolvedPrompt, ...]
    diagnostics: tuple[Diagnostic, ...]
    imported_vars: tuple[Setting, ...] = ()
    imported_presets: tuple[Preset, ...] = ()
    imported_paths: tuple[str, ...] = field(default=())
    source: str = ""
    """The file's decoded text, as its front end read it (fixes and columns read it)."""
    reader: FileReader = DISK
    """Where the file and its imports were read from (the disk, or a git revision)."""


# cheap constructors, each naming the field order its calls below pass
_setting = maker(Setting, ("field", "origin"))
_axis = maker(AxisDef, ("members", "is_zip", "span"))
_resolved_prompt = maker(
    ResolvedPrompt, ("spec", "prompt", "tune", "params", "vars", "presets", "axes", "family"))


class _Frame:
    """One file on the import walk's stack, and which of its imports comes next. `via`,
    for an imported file: the import its findings land on, and the path as written."""

    __slots__ = ("chain", "next", "spec", "stack", "top", "via")

    def __init__(self, spec: SpecFile, stack: tuple[str, ...], chain: tuple[str, ...],
                 top: Import | None, via: tuple[Import, str] | None = None) -> None:
        self.spec, self.stack, self.chain, self.top, self.via = spec, stack, chain, top, via
        self.next = 0


class _Imports:
    """Walks imports depth-first, collecting visible presets and vars, once per file."""

    def __init__(self, root: str, loader: dict[str, Parsed], reader: FileReader) -> None:
        self.root = root
        self.reader = reader
        self.loader = loader
        self.presets: list[tuple[Preset, Import]] = []
        self.vars: list[tuple[Field, Import, str]] = []
        self.paths: list[str] = []
        self.diagnostics: list[Diagnostic] = []
        self.seen: set[str] = set()

    def _load(self, real: str, shown: str) -> Parsed:
        cached = self.loader.get(real)
        if cached is None:
            cached = load(shown, self.reader)
            self.loader[real] = cached
        return cached

    def walk(self, spec: SpecFile, stack: tuple[str, ...], chain: tuple[str, ...],
             top: Import | None) -> None:
        """Depth-first over `spec`'s imports, without recursion (a chain of any length).
        Problems inside an imported file belong to that file's own lint; here only the
        root's imports and cycles back to it count. An imported file's presets and vars
        come after those of the files it imports."""
        frames: list[_Frame] = [_Frame(spec, stack, chain, top)]
        while frames:
            frame = frames[-1]
            if frame.next == len(frame.spec.imports):
                frames.pop()
                if frame.via is not None:
                    for p in frame.spec.presets:
                        self.presets.append((p, frame.via[0]))
                    for v in frame.spec.vars:
                        self.vars.append((v, frame.via[0], frame.via[1]))
                continue
            imp = frame.spec.imports[frame.next]
            frame.next += 1
            child = self._step(frame, imp)
            if child is not None:
                frames.append(child)

    def _step(self, frame: _Frame, imp: Import) -> _Frame | None:
        """One import of a file: its problem reported, or the frame that walks it."""
        stack, chain = frame.stack, frame.chain
        anchor = frame.top or imp  # findings land in the file being resolved
        nested = frame.top is not None
        target = os.path.normpath(os.path.join(os.path.dirname(frame.spec.path), imp.path))
        real = os.path.realpath(target)
        if not inside(self.root, target):
            if not nested:
                self._err(anchor, f"import {imp.path!r} leaves the project root "
                                  f"({self.root})")
            return None
        if real in stack:
            if real == stack[0] or not nested:
                cycle = " -> ".join((*chain[stack.index(real):], imp.path))
                self._err(anchor, f"import cycle: {cycle}")
            return None
        if real in self.seen:
            return None
        if not self.reader.is_file(target):
            if not nested:
                self._err(anchor, f"imported file {imp.path!r} not found")
            return None
        try:
            parsed = self._load(real, target)
        except SpecReadError as err:  # unreadable: a finding; anything else is a bug
            if not nested:
                self._err(anchor, f"cannot read imported file {imp.path!r}: {err}")
            return None
        self.seen.add(real)
        if parsed.spec is None:
            if not nested:
                self._err(anchor, f"imported file {imp.path!r} does not parse "
                                  "(see its own findings)")
            return None
        self.paths.append(target)
        return _Frame(parsed.spec, (*stack, real), (*chain, imp.path), anchor,
                      via=(anchor, imp.path))

    def _err(self, imp: Import, message: str) -> None:
        self.diagnostics.append(Diagnostic(Code.IMPORT_ERROR, message, imp.span))


def _dup(kind: str, name: str, later: Span, first: Span) -> Diagnostic:
    return Diagnostic(
        Code.DUPLICATE_NAME, f"{kind} {name!r} is defined twice; the first is at {first}", later
    )


def resolve(path: str, parsed: Parsed | None = None,
            cache: dict[str, Parsed] | None = None, reader: FileReader = DISK) -> Resolution:
    """Resolve one spec file (loading it unless `parsed` is given) and its imports, all
    read through `reader`."""
    if parsed is None:
        parsed = load(path, reader)
    real = os.path.realpath(path)
    root = real_project_root(real)
    diags: list[Diagnostic] = list(parsed.diagnostics)
    spec = parsed.spec
    if spec is None:
        return Resolution(path, root, None, (), tuple(diags), source=parsed.source,
                          reader=reader)
    loader: dict[str, Parsed] = cache if cache is not None else {}
    loader[real] = parsed
    imports = _Imports(root, loader, reader)
    imports.walk(spec, (real,), (os.path.basename(path),), None)
    diags.extend(imports.diagnostics)

    presets = _visible_presets(spec, imports.presets, diags)
    prompts = _unique_prompts(spec, diags)
    base_vars: dict[str, Setting] = {v.name: Setting(v, "file vars") for v in spec.vars}
    imported_vars = [Setting(v, f"vars of {shown}") for v, _, shown in imports.vars]
    for s in imported_vars:
        base_vars[s.name] = s
    file_tune = Setting(spec.tune, "the file's tune") if spec.tune is not None else None
    file_family = (Setting(spec.family, "the file's family") if spec.family is not None
                   else None)
    chains = _PresetChains(presets, diags)
    # cycles and unknown names in presets no prompt uses: one walk over all (linear time)
    chains.linearize(tuple(Ref(p.name, p.name_span) for p in spec.presets))
    layers: dict[int, _Layer] = {}
    resolved = [_resolve_prompt(spec, pr, chains.linearize(pr.extends), base_vars, file_tune,
                                file_family, layers) for pr in prompts]
    own = tuple(d for d in diags if d.span.path == spec.path)  # others: their own lint
    return Resolution(
        path, root, spec, tuple(resolved), own, tuple(imported_vars),
        tuple(p for p, _ in imports.presets), tuple(imports.paths), parsed.source, reader,
    )


def _visible_presets(spec: SpecFile, imported: list[tuple[Preset, Import]],
                     diags: list[Diagnostic]) -> dict[str, Preset]:
    """Imported presets, then the file's own, by name; a second one of a name is PS006."""
    presets: dict[str, Preset] = {}
    for p, imp in imported:
        if p.name in presets:
            if presets[p.name].span.path == p.span.path:
                continue  # a duplicate inside one imported file: that file's own finding
            diags.append(_dup("preset", p.name, imp.span, presets[p.name].name_span))
            continue
        presets[p.name] = p
    for p in spec.presets:
        if p.name in presets:
            diags.append(_dup("preset", p.name, p.name_span, presets[p.name].name_span))
            continue
        presets[p.name] = p
    return presets


def _unique_prompts(spec: SpecFile, diags: list[Diagnostic]) -> list[Prompt]:
    """The file's prompts, a later one of a name reported (PS006) and left out."""
    seen: dict[str, Prompt] = {}
    for pr in spec.prompts:
        if pr.name in seen:
            diags.append(_dup("prompt", pr.name, pr.name_span, seen[pr.name].name_span))
        else:
            seen[pr.name] = pr
    return list(seen.values())


_Layer = tuple[Setting | None, Setting | None, dict[str, Setting], dict[str, Setting]]
"""What one preset or prompt body sets: its tune, family, parameters and vars (later
fields winning), each a `Setting` naming the layer."""


def _layer(origin: str, fields: tuple[Field, ...], layer_vars: tuple[Field, ...]) -> _Layer:
    tune = family = None
    params: dict[str, Setting] = {}
    for f in fields:
        if f.name == "tune":
            tune = _setting(f, origin)
        elif f.name == "family":
            family = _setting(f, origin)
        else:
            params[f.name] = _setting(f, origin)
    return tune, family, params, {v.name: _setting(v, origin) for v in layer_vars}


def _resolve_prompt(spec: SpecFile, pr: Prompt, applied: list[Preset],
                    base_vars: dict[str, Setting], file_tune: Setting | None,
                    file_family: Setting | None = None,
                    layers: dict[int, _Layer] | None = None) -> ResolvedPrompt:
    """Merge one prompt's settings, later winning: file and imported vars, presets in
    `extends` order, the prompt's own body; then its axes (sweep axes, then the zip).
    `tune` and `family` are spec keys, not parameters: they merge the same way. `layers`
    holds each preset's settings, made once for all the prompts that extend it."""
    params: dict[str, Setting] = {}
    vars_ = dict(base_vars)
    tune = file_tune
    family = file_family
    made = layers if layers is not None else {}
    found = []
    for p in applied:
        layer = made.get(id(p))
        if layer is None:
            layer = made[id(p)] = _layer(f"preset {p.name}", p.fields, p.vars)
        found.append(layer)
    found.append(_layer("prompt", pr.fields, pr.vars))
    for layer_tune, layer_family, layer_params, layer_vars in found:
        tune = layer_tune or tune
        family = layer_family or family
        params.update(layer_params)
        vars_.update(layer_vars)
    axes: list[AxisDef] = []
    if pr.sweep is not None:
        axes.extend([_axis((a,), False, a.span) for a in pr.sweep.axes])
    if pr.zip is not None and pr.zip.axes:
        axes.append(_axis(pr.zip.axes, True, pr.zip.span))
    return _resolved_prompt(spec, pr, tune, params, vars_, tuple(applied), tuple(axes), family)


class _PresetChains:
    """Linearises `extends` (each preset's own extends first), reporting PS004 and PS005."""

    def __init__(self, presets: dict[str, Preset], diags: list[Diagnostic]) -> None:
        self.presets = presets
        self.diags = diags
        self.reported: set[tuple[str, int, int]] = set()
        self.cycles: set[frozenset[str]] = set()
        self.walked: dict[tuple[str, ...], list[Preset]] = {}

    def _report(self, d: Diagnostic) -> None:
        key = (d.span.path, d.span.line, d.span.column)
        if key not in self.reported:
            self.reported.add(key)
            self.diags.append(d)

    def linearize(self, refs: tuple[Ref, ...]) -> list[Preset]:
        """The presets `refs` bring in, in merge order; walked once per list of names when
        the walk finds nothing to report (else again, to report at each place)."""
        names = tuple(r.name for r in refs)
        found = self.walked.get(names)
        if found is not None:
            return found
        out: list[Preset] = []
        done: set[str] = set()
        before = len(self.diags)
        self._walk(refs, (), out, done)
        if len(self.diags) == before and not self.cycles:
            self.walked[names] = out
        return out

    def _walk(self, refs: tuple[Ref, ...], stack: tuple[str, ...], out: list[Preset],
              done: set[str]) -> None:
        """Each preset after its own `extends`, without recursion (chains of any depth)."""
        path = list(stack)
        on_path = set(path)
        frames: list[tuple[tuple[Ref, ...], int, str | None]] = [(refs, 0, None)]
        while frames:
            todo, i, owner = frames[-1]
            if i == len(todo):
                frames.pop()
                if owner is not None:
                    path.pop()
                    on_path.discard(owner)
                    done.add(owner)
                    out.append(self.presets[owner])
                continue
            frames[-1] = (todo, i + 1, owner)
            ref = todo[i]
            preset = self.presets.get(ref.name)
            if preset is None:
                hint = did_you_mean(ref.name, list(self.presets))
                self._report(Diagnostic(Code.UNKNOWN_PRESET, f"no preset named {ref.name!r}{hint}",
                                        ref.span))
                continue
            if ref.name in on_path:
                members = path[path.index(ref.name):]
                if frozenset(members) in self.cycles:
                    continue
                self.cycles.add(frozenset(members))
                chain = " -> ".join((*members, ref.name))
                self._report(Diagnostic(Code.PRESET_CYCLE, f"presets extend each other in a cycle: "
                                                           f"{chain}", ref.span))
                continue
            if ref.name in done:
                continue
            path.append(ref.name)
            on_path.add(ref.name)
            frames.append((preset.extends, 0, ref.name))
