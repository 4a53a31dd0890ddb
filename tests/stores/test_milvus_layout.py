"""pymilvus stays inside the Milvus store: imported nowhere else, and not at all with the local store."""
import ast
import subprocess
import sys
from pathlib import Path

from search.bench.scale_milvus import format_milvus

ROOT = Path(__file__).resolve().parent.parent.parent


def test_pymilvus_is_imported_only_in_the_milvus_store():
    found = []
    for path in list((ROOT / "search").rglob("*.py")) + list((ROOT / "web").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] in ("pymilvus", "milvus_lite") for n in names):
                found.append(path.relative_to(ROOT).as_posix())
    assert found and all(p.startswith("search/stores/milvus/") for p in found), found


def test_the_local_store_runs_without_pymilvus(tiny_index, tiny_seeds):
    code = ("import sys; from search.settings import Settings; from search.encoders import FakeEncoder; "
            "from search.stores import open_store, has_index, live_signature; import web; "
            f"s = Settings(index={str(tiny_index)!r}); assert has_index(s); live_signature(s); "
            "open_store(s, FakeEncoder()); assert 'pymilvus' not in sys.modules, 'pymilvus was imported'")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_the_milvus_scale_table():
    ms = {"n": 3, "p50": 12.5, "p95": 20.0, "p99": 30.0}
    text = "\n".join(format_milvus([{"passages": 100_000, "kind": "hnsw", "write_s": 300.0, "open_s": 4.0,
                                     "search_ms": ms, "dense_ms": ms, "recall_at_10": 0.97,
                                     "ef_search": {64: {"recall_at_10": 0.9, "p50_ms": 3.0}}},
                                    {"passages": 10, "error": "no server"}]))
    for expected in ("100,000  hnsw", "0.970", "ef   64: recall@10 0.900", "10 failed: no server"):
        assert expected in text
