"""The model through sentence-transformers' ONNX Runtime backend, exported once into the model cache.

``export_onnx(model, cache, precision)`` writes ``cache/<model>-<sha[:12]>-onnx-<precision>/``: a
copy of the model folder (the weights hard-linked where possible) with ``onnx/model.onnx``
exported by sentence-transformers through Optimum, and, for ``int8``, ``onnx/model_quint8_avx2.onnx``
from ``export_dynamic_quantized_onnx_model``. It runs offline from the local folder, once: the
folder is filled under a lock, in a temporary folder renamed into place, and ``export.json``
records the ONNX file's SHA-256 beside the weights'.

The fp32 export gives the PyTorch model's vectors (cosine >= 0.9999 on real text,
``tests/encoders``), so an index built on one backend is served on the other. int8 moves them
a little (cosine ~0.99): see the README's figures before choosing it.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


from ..errors import SearchError
from .batching import BATCH_TOKENS, TokenBatched, TokenCounter
from .cache import cache_lock, file_sha256, link_or_copy_tree, write_atomically
from .models import ModelFiles

PRECISIONS = {"fp32": "onnx/model.onnx", "int8": "onnx/model_quint8_avx2.onnx"}


def export_onnx(model: ModelFiles, cache: Path, precision: str = "fp32") -> tuple[Path, str]:
    """(folder, ONNX file name inside it) for ``model`` at ``precision``, exporting it the first time.

    Raises ``SearchError`` for an unknown precision and for a cache that cannot be written (read-only,
    full); whatever Optimum raises when the export fails (the cache is then left without the folder,
    and the next start tries again). A damaged export (``export_intact``) is made again.
    """
    if precision not in PRECISIONS:
        raise SearchError(f"unknown precision {precision!r}; SEARCH_PRECISION must be one of: {', '.join(PRECISIONS)}")
    file_name = PRECISIONS[precision]
    target = Path(cache) / f"{model.slug}-onnx-{precision}"
    if export_intact(target, file_name, model):
        return target, file_name
    try:
        return _export_locked(model, cache, target, file_name, precision)
    except OSError as exc:   # a read-only or full cache: say which folder, not a traceback
        raise SearchError(f"the model cache {cache} cannot take the ONNX export ({exc.strerror or exc}); set "
                          f"SEARCH_MODEL_CACHE to a writable folder, or SEARCH_BACKEND=torch") from None


def _export_locked(model: ModelFiles, cache: Path, target: Path, file_name: str, precision: str) -> tuple[Path, str]:
    """The export into ``target``, made once under the cache entry's lock."""
    with cache_lock(cache, target.name):
        if export_intact(target, file_name, model):
            return target, file_name
        work = Path(cache) / f".{target.name}.tmp"
        shutil.rmtree(work, ignore_errors=True)
        try:
            link_or_copy_tree(model.folder, work, skip=("onnx", "openvino", "*.onnx", "desktop.ini"))
            _export(work, precision)
            record = {"model": model.name, "weights_sha256": model.sha256, "precision": precision,
                      "file": file_name, "onnx_sha256": file_sha256(work / file_name)}
            write_atomically(work / "export.json", json.dumps(record, indent=1).encode())
            shutil.rmtree(target, ignore_errors=True)
            work.rename(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target, file_name


def export_intact(folder: Path, file_name: str, model: ModelFiles) -> bool:
    """Whether an exported folder is whole: its ``export.json`` reads, names this model's weights, and
    its ONNX file has the SHA-256 recorded there (a damaged cache entry is exported again)."""
    try:
        record = export_record(folder)
        return (record.get("weights_sha256") == model.sha256 and record.get("file") == file_name
                and record.get("onnx_sha256") == file_sha256(folder / file_name))
    except (OSError, ValueError, AttributeError):
        return False


def _export(folder: Path, precision: str) -> None:
    """sentence-transformers' own export: load with ``backend="onnx"`` (Optimum exports), save, quantise."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(folder), backend="onnx", device="cpu", local_files_only=True)
    st.save_pretrained(str(folder))   # writes onnx/model.onnx beside the modules
    if precision == "int8":
        from sentence_transformers import export_dynamic_quantized_onnx_model

        export_dynamic_quantized_onnx_model(st, "avx2", str(folder))


def export_record(folder: Path) -> dict:
    """The ``export.json`` of an exported folder: model, checksums, precision, file."""
    return json.loads((Path(folder) / "export.json").read_text(encoding="utf-8"))


class OnnxEncoder(TokenBatched):
    """The model on ONNX Runtime's CPU provider, through sentence-transformers. Loads in about a second.

    ``threads`` is ONNX Runtime's intra-op thread count for this session, for a server whose
    ``QueryBatcher`` runs encodes side by side. None is for builds: one thread per session call and
    one lane per core, so ``encode`` runs that many batches at once (``lanes``; on 2 cores 18 s for
    the seeds' texts, against 23 s for one call at a time on two threads). ``arena`` keeps ONNX
    Runtime's CPU memory arena (faster for repeated shapes, but it holds on to the largest batch's
    memory). ``encode`` runs in batches of about ``batch_tokens`` padded word pieces
    (``batching.py``). Safe to call from several threads at once (ONNX Runtime sessions are).
    """

    def __init__(self, model: ModelFiles, cache: Path, threads: int | None = None, precision: str = "fp32",
                 batch_tokens: int = BATCH_TOKENS, arena: bool = False):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        folder, file_name = export_onnx(model, cache, precision)
        import onnxruntime as ort
        from sentence_transformers import SentenceTransformer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 1
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = arena
        # Pool threads that spin while waiting for work steal the other encodes' cores on a busy
        # machine (a build beside a server, or other jobs); blocking costs a little latency instead.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._model = SentenceTransformer(str(folder), backend="onnx", device="cpu", local_files_only=True,
                                          model_kwargs={"file_name": file_name, "session_options": options,
                                                        "provider": "CPUExecutionProvider"})
        self.name, self.dim, self.checksum = model.name, model.dim, model.sha256
        self.lanes = 1 if threads else (os.cpu_count() or 1)
        self.threads = options.intra_op_num_threads * self.lanes
        self.batch_tokens = batch_tokens
        self._count = TokenCounter(self._model)
        self.max_tokens = int(self._model.max_seq_length)
        record = export_record(folder)
        self.details = {"backend": "onnx", "precision": precision, "onnx_folder": folder.name,
                        "onnx_file": file_name, "onnx_sha256": record["onnx_sha256"]}
