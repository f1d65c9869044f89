"""Time from a change to its diagnostics in `promptspec lsp`, measured at the client.

A real client (pygls) starts `promptspec lsp` over stdio, opens a spec and sends edits
one at a time; each figure is the time from sending `didChange` to receiving the
`publishDiagnostics` of that version, debounce included. Prints the median and the 90th
percentile for a 300-line spec, and for a spec importing five others (and, once each, the
time from opening the file to its first diagnostics).

    .venv/bin/python benchmarks/bench_lsp.py [--edits 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient


def spec_300_lines(imports: tuple[str, ...] = ()) -> str:
    """A realistic spec of about 300 lines: presets, vars, templates and sweeps."""
    out = [f'import "{p}"' for p in imports]
    out += ["", "tune 1234", "", "vars {", '  subject = "ohwx man"', '  mood = "calm"', "}", ""]
    for i in range(6):
        out += [f"preset look{i} {{", '  negative_prompt = "old, blemish, wrinkles"',
                "  super_resolution = true", "  face_correct = true",
                f'  aspect_ratio = "{("2:3", "1:1", "16:9")[i % 3]}"', "}", ""]
    n = 0
    while len(out) < 300:
        out += [f"prompt p{n} : look{n % 6} {{",
                f'  text = "a portrait of {{{{ subject }}}}, {{{{ mood }}}}, style {n}"',
                "  num_images = 2", f"  cfg_scale = {5 + n % 7}", "  steps = 30",
                "  sweep {", f"    seed = 1..{10 + n}", '    mood = ["calm", "bright"]', "  }",
                "}", ""]
        n += 1
    return "\n".join(out) + "\n"


def library(i: int) -> str:
    return (f'vars {{\n  lib{i} = "value {i}"\n}}\n\n' + "".join(
        f"preset lib{i}_{j} {{\n  cfg_scale = {j + 3}\n  steps = 25\n}}\n\n" for j in range(8)))


class Timer:
    def __init__(self) -> None:
        self.client = LanguageClient("bench", "1")
        self.arrived: dict[tuple[str, int | None], float] = {}
        self.event = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.arrived[(params.uri, params.version)] = time.perf_counter()
            self.event.set()

    async def wait(self, uri: str, version: int) -> float:
        while (uri, version) not in self.arrived:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), timeout=30)
        return self.arrived[(uri, version)]


async def measure(path: Path, edits: int) -> list[float]:
    t = Timer()
    await t.client.start_io(sys.executable, "-m", "promptspec", "lsp")
    await t.client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=path.parent.as_uri()))
    t.client.initialized(types.InitializedParams())
    uri, text = path.as_uri(), path.read_text()
    await asyncio.sleep(0.5)  # an editor opens a file a moment after starting the server
    opened = time.perf_counter()
    t.client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="promptspec", version=1,
                                             text=text)))
    print(f"  open -> diagnostics: {((await t.wait(uri, 1)) - opened) * 1000:.1f} ms")
    figures = []
    line = text.splitlines().index("  steps = 30")
    for v in range(2, edits + 2):
        # retype one value: an incremental change, as an editor sends it
        new = f"{20 + v % 10}"
        t.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=v),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=line, character=10),
                                  end=types.Position(line=line, character=12)),
                text=new)]))
        sent = time.perf_counter()
        figures.append((await t.wait(uri, v)) - sent)
        await asyncio.sleep(0.05)  # a pause in typing, so each edit is its own lint
    await t.client.shutdown_async(None)
    t.client.exit(None)
    await t.client.stop()
    return figures


def report(name: str, figures: list[float]) -> None:
    ms = sorted(f * 1000 for f in figures)
    p90 = ms[int(len(ms) * 0.9) - 1]
    print(f"{name}: median {statistics.median(ms):.1f} ms, p90 {p90:.1f} ms, "
          f"min {ms[0]:.1f} ms over {len(ms)} edits (target: median <= 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
        alone = root / "alone.pspec"
        alone.write_text(spec_300_lines())
        print(f"{alone.name}: {len(alone.read_text().splitlines())} lines")
        report("300-line spec", asyncio.run(measure(alone, args.edits)))
        libs = tuple(f"lib{i}.pspec" for i in range(5))
        for i, name in enumerate(libs):
            (root / name).write_text(library(i))
        user = root / "user.pspec"
        user.write_text(spec_300_lines(libs))
        report("300-line spec importing five others", asyncio.run(measure(user, args.edits)))


if __name__ == "__main__":
    main()
