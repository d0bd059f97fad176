"""The package's layout holds: no import circle between modules or between folders, the
contracts of pyproject.toml kept, the torch-free paths torch-free, the fuzz harness outside."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import grimp
import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("pipeline")


def _edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def _folder(module: str, graph: grimp.ImportGraph) -> str:
    """`pipeline.label.job` -> `pipeline.label`; a top-level module is a room of its own."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or graph.find_children(module) else module


def test_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back(graph):
    assert _cycles(_edges(graph)) == []


def test_no_folder_imports_itself_back(graph):
    folders: dict[str, set[str]] = defaultdict(set)
    for module, imported in _edges(graph).items():
        for other in imported:
            a, b = _folder(module, graph), _folder(other, graph)
            if a != b:
                folders[a].add(b)
    assert _cycles(folders) == []


def test_import_contracts_in_pyproject_hold():
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "0 broken" in done.stdout


def _imported_modules(statement: str) -> set[str]:
    """Every module `python -X importtime -c statement` imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip() for line in lines[1:]}


@pytest.mark.parametrize("module", ["pipeline.checkpoint_peek", "pipeline.checkpoint.peek"])
def test_the_checkpoint_peek_imports_neither_torch_nor_av_nor_cv2(module):
    imported = _imported_modules(f"import {module}")
    assert module in imported
    assert not imported & {"torch", "av", "cv2"}


def test_core_is_numpy_only():
    core = sorted(p.stem for p in (ROOT / "pipeline" / "core").glob("*.py"))
    imported = _imported_modules("; ".join(f"import pipeline.core.{name}" for name in core))
    assert "pipeline.core.track" in imported
    assert not imported & {"torch", "av", "cv2", "lightning"}


def test_the_fuzz_harness_is_outside_the_wheel():
    packages = find_packages(where=str(ROOT), include=["pipeline*"])
    assert "pipeline" in packages and "pipeline.label" in packages
    assert not [p for p in packages if "fuzz" in p]
    assert (ROOT / "tools" / "fuzz" / "__init__.py").is_file()


def test_old_import_paths_keep_working():
    from pipeline.checkpoint import load_labeler
    from pipeline.checkpoint_peek import peek_input_settings
    from pipeline.io import VideoWriter, open_video

    assert callable(load_labeler) and callable(peek_input_settings)
    assert callable(open_video) and VideoWriter.__name__ == "VideoWriter"
