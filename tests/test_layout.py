"""The layout rules of the design: who may import av and torch, modules of one idea, and
dependencies that point one way (no import cycle)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for d in ("nlvc_av", "container") for p in (ROOT / d).rglob("*.py"))
MAX_LINES = 400

AV_ALLOWED = ("nlvc_av/io/",)
TORCH_ALLOWED = ("nlvc_av/codec/nets/", "nlvc_av/train/")


def _importers(module: str) -> set[str]:
    pattern = re.compile(rf"^\s*(import {module}\b|from {module}\b)", re.M)
    return {p.relative_to(ROOT).as_posix() for p in SOURCES if pattern.search(p.read_text())}


def test_the_scan_sees_the_sources():
    assert len(SOURCES) > 30, "the layout tests found no sources to check"


def test_only_the_io_package_imports_av():
    importers = _importers("av")
    assert importers, "nothing imports av: the scan is broken"
    assert {p for p in importers if not p.startswith(AV_ALLOWED)} == set()


def test_torch_only_in_the_networks_and_training():
    importers = _importers("torch")
    assert importers, "nothing imports torch: the scan is broken"
    assert {p for p in importers if not p.startswith(TORCH_ALLOWED)} == set()


def test_the_container_and_the_codec_import_neither_av_nor_files_of_the_media_side():
    codec = [p for p in SOURCES if p.relative_to(ROOT).as_posix().startswith(("nlvc_av/codec/", "container/"))]
    assert codec
    for p in codec:
        text = p.read_text()
        assert not re.search(r"^\s*from \.\.(io|session|transcode|api|cli|bench|train)\b", text, re.M), p
        assert not re.search(r"^\s*from nlvc_av\.(io|session|transcode|api|cli|bench|train)\b", text, re.M), p


def test_the_core_never_imports_the_tools():
    # cli.py is the entry point: it mounts `nlvc bench` / `nlvc train` lazily, nothing else may.
    tools = ("nlvc_av/bench/", "nlvc_av/train/", "nlvc_av/cli.py")
    core = [p for p in SOURCES if not p.relative_to(ROOT).as_posix().startswith(tools)]
    for p in core:
        assert not re.search(r"^\s*from (\.+|nlvc_av\.)(bench|train)\b", p.read_text(), re.M), p


def test_modules_stay_small():
    big = {p.relative_to(ROOT).as_posix(): n for p in SOURCES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert big == {}


def _module(p: Path) -> str:
    parts = list(p.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of nlvc_av and container it imports, from every import statement
    (at the top or inside a function: a lazy import is a dependency too). ``from pkg import x``
    is an edge to ``pkg.x`` when that is a module, else to ``pkg``."""
    modules = {_module(p): p for p in SOURCES}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle as the modules of one strongly connected component (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1 or v in graph.get(v, ()):
                    found.append(sorted(component))
    return found


def test_the_cycle_check_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = import_graph()
    edges = sum(len(v) for v in graph.values())
    assert len(graph) > 30 and edges > 100, f"the import graph is empty ({len(graph)} modules, {edges} edges)"
    assert "nlvc_av.session" in graph["nlvc_av.transcode"], "the scan misses relative imports"
    assert "container.reader" in graph["container"] and "nlvc_av.api" in graph["nlvc_av"], "or lazy ones"
    assert cycles(graph) == []
