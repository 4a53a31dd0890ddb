"""Imports flow one way: each module imports only from its own tier or the tiers above it, with no cycles.

The tiers (``shared/DESIGN.md``): records and rules, then document reading, encoders, stores,
ranking, the engine and build, the long-lived services, and last the adapters (CLI and web).
Nothing in ``search/`` but the CLI imports ``web/``.
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TIERS = [
    ("search.settings", "search.errors", "search.model", "search.patterns", "search.terms", "search.access",
     "search.keys", "search.validate"),
    ("search.readers", "search.sections", "search.contents", "search.nesting", "search.sentences", "search.chunk",
     "search.represent", "search.documents"),
    ("search.encoders",),
    ("search.stores",),
    ("search.fusion", "search.highlight", "search.confidence", "search.passages"),
    ("search.prepare", "search.embed", "search.engine", "search.build"),
    ("search.service", "search.evaluate", "search.calibrate", "search.bench", "search.layout",
     "search.feedback", "search.export", "search.tune"),
    ("search.cli", "search.__main__", "web", "search.cli_keys", "search.commands"),
]


def tier(module: str) -> int:
    if module == "search":   # the package itself: public names, loaded lazily (search/__init__.py)
        return 0
    for number, prefixes in enumerate(TIERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return number
    raise AssertionError(f"{module} has no tier: add it to TIERS in tests/test_layering.py")


def modules() -> dict[str, Path]:
    found = {}
    for package in ("search", "web"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(name: str, path: Path) -> set[str]:
    """Every module of ours that ``name`` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)   # `from . import versions` names a module
    ours = modules()
    return {m for m in out if m in ours and m != name}


def test_every_module_imports_only_from_its_tier_or_above():
    upward = []
    for name, path in modules().items():
        for target in imports(name, path):
            if tier(target) > tier(name):
                upward.append(f"{name} (tier {tier(name)}) imports {target} (tier {tier(target)})")
    assert not upward, "\n".join(upward)


def test_nothing_in_search_but_the_cli_imports_web():
    offenders = [f"{name} imports {t}" for name, path in modules().items()
                 if name.startswith("search") and name not in ("search.cli",)
                 for t in imports(name, path) if t == "web" or t.startswith("web.")]
    assert not offenders, offenders


def test_there_are_no_import_cycles():
    graph = {name: imports(name, path) for name, path in modules().items()}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):   # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, cycles


@pytest.mark.parametrize("module", ["search", "search.errors", "search.settings", "search.model", "search.patterns",
                                    "search.terms"])
def test_light_modules_load_no_faiss_torch_or_bm25s(module):
    code = (f"import sys, {module}; heavy = {{'faiss', 'torch', 'bm25s', 'sentence_transformers'}} & set(sys.modules); "
            "print(sorted(heavy)); sys.exit(1 if heavy else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"importing {module} loaded {out.stdout.strip()} {out.stderr[-500:]}"


def test_the_layering_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The check itself can fail: a tier-one module importing the engine is reported."""
    fake = tmp_path / "errors.py"
    fake.write_text("from .engine import Engine\n", encoding="utf-8")
    assert "search.engine" in imports("search.errors", fake)
    assert tier("search.engine") > tier("search.errors")


def test_no_test_module_imports_another():
    offenders = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1].startswith("test_"):
                offenders.append(f"{path.relative_to(ROOT)} imports {node.module}")
            elif isinstance(node, ast.Import):
                offenders += [f"{path.relative_to(ROOT)} imports {a.name}" for a in node.names
                              if a.name.split(".")[-1].startswith("test_")]
    assert not offenders, offenders
