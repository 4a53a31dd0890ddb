"""One settings object: every field has a default and a help line.

Environment variables ``SEARCH_<FIELD>`` (upper case) and CLI options map onto it::

    >>> Settings.from_env({"SEARCH_PORT": "9000"}).port
    9000
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_K = 10          # passages in an answer when k is not given (``Settings.default_k``)
MAX_K = 50              # most passages one answer may ask for
MAX_RANKED = 100        # deepest result a page may reach: offset + k at most this
MAX_QUERY_CHARS = 1000  # longest question accepted
MAX_OUTLINE = 1000      # most outline entries one /api/documents/<id> answer lists (``outline_truncated`` beyond)


@dataclass(frozen=True)
class DocumentLimits:
    """Bounds on what one source document may cost; a document over one is skipped or cut, with a reason."""

    max_file_bytes: int = 64 * 2**20
    max_text_chars: int = 4_000_000
    max_part_bytes: int = 256 * 2**20
    max_headings: int = 5000
    max_heading_depth: int = 8
    seconds: float = 45.0
    max_passages: int = 2000


@dataclass(frozen=True)
class Settings:
    seeds: Path = field(default=ROOT / "seeds", metadata={"help": "folder of source documents"})
    index: Path = field(default=ROOT / "index", metadata={"help": "folder the build writes and the server reads"})
    host: str = field(default="127.0.0.1", metadata={"help": "address the server listens on"})
    port: int = field(default=8000, metadata={"help": "port the server listens on"})
    threads: int = field(default=24, metadata={"help": "worker threads of the WSGI server (more than max_inflight, "
                                                       "so the in-flight bound answers 503 instead of queueing)"})
    max_inflight: int = field(default=16, metadata={"help": "searches running at once; more get a fast 503"})
    max_client_connections: int = field(default=64, metadata={"help": "open connections one client address may hold "
                                                                       "(of 256 in all); more are closed at once; 0 is off"})
    max_body_bytes: int = field(default=16384, metadata={"help": "largest request body accepted (413 beyond)"})
    rate_limit: int = field(default=0, metadata={"help": "requests per minute per client address; 0 is off"})
    reload_seconds: float = field(default=2.0, metadata={"help": "how often the server looks for a newer index"})
    admin_token: str = field(default="", metadata={"help": "token for POST /api/reload; empty keeps it off"})
    default_k: int = field(default=DEFAULT_K, metadata={"help": "passages returned when k is not given"})
    cache_size: int = field(default=1024, metadata={"help": "query embeddings kept in memory"})
    encoder: str = field(default="model", metadata={"help": "what encodes questions and passages: model (SEARCH_MODEL "
                                                           "on SEARCH_BACKEND) or fake (hashed words; tests only); "
                                                           "torch or onnx: the model on that backend"})
    torch_threads: int = field(default=1, metadata={"help": "intra-op threads per encode in the server, on either "
                                                           "backend; requests run in parallel (a build uses every core)"})
    log_level: str = field(default="INFO", metadata={"help": "logging level"})
    max_file_mb: float = field(default=64.0, metadata={"help": "largest source file read, in MB; larger ones are skipped"})
    max_text_chars: int = field(default=4_000_000, metadata={"help": "most characters of text kept from one document; "
                                                                      "the rest is cut with a warning"})
    max_part_mb: float = field(default=256.0, metadata={"help": "largest decompressed part of a Word or PDF file, in MB "
                                                                "(checked before it is read whole)"})
    max_headings: int = field(default=5000, metadata={"help": "most headings kept per document"})
    max_heading_depth: int = field(default=8, metadata={"help": "deepest heading nesting; deeper headings nest at this depth"})
    max_passages: int = field(default=2000, metadata={"help": "most passages kept per document (each is embedded); "
                                                              "the rest is left out with a warning"})
    doc_seconds: float = field(default=45.0, metadata={"help": "time budget to read and section one document; "
                                                               "a document over it is skipped"})
    auth: str = field(default="open", metadata={"help": "who may call: open (anyone; documents a policy restricts "
                                                       "stay hidden), keys (Authorization: Bearer KEY) or proxy "
                                                       "(user and groups from a trusted sign-in proxy; keys too)"})
    keys_file: str = field(default="", metadata={"help": "the API keys file (`python -m search keys add`); "
                                                        "hashes, names and groups only"})
    access_policy: str = field(default="", metadata={"help": "TOML file mapping documents to the groups that may "
                                                            "read them; empty: every document is public"})
    trusted_proxies: str = field(default="", metadata={"help": "addresses or networks (comma-separated) whose user "
                                                              "and groups headers are believed (auth=proxy)"})
    proxy_user_header: str = field(default="X-Forwarded-User", metadata={"help": "header naming the signed-in user"})
    proxy_groups_header: str = field(default="X-Forwarded-Groups", metadata={"help": "header listing the user's "
                                                                                    "groups, comma-separated"})
    data: Path = field(default=ROOT / "data", metadata={"help": "folder of what the service keeps outside the index "
                                                               "(feedback); survives rebuilds"})
    store: str = field(default="local", metadata={"help": "where the index lives: local (the index folder) or a Milvus "
                                                         "address (http://host:19530; a path ending .db is Milvus Lite's file)"})
    milvus_token: str = field(default="", metadata={"help": "token for the Milvus server (user:password or an API key)"})
    milvus_prefix: str = field(default="search", metadata={"help": "names of this service's Milvus collections and alias "
                                                                   "start with it (one index per prefix)"})
    milvus_timeout: float = field(default=5.0, metadata={"help": "seconds one Milvus call may take before the request "
                                                                 "answers 503"})

    backend: str = field(default="onnx", metadata={"help": "runtime of the model: onnx (ONNX Runtime, exported once "
                                                           "into model_cache) or torch (PyTorch); the vectors agree, "
                                                           "so an index built on one is served on the other"})
    model: str = field(default="", metadata={"help": "the sentence-transformers model: empty for all-MiniLM-L6-v2 "
                                                     "(installed package), all-mpnet-base-v2 (requirements-mpnet.txt), "
                                                     "a model folder, or an installed model package"})
    model_cache: Path = field(default=ROOT / "model-cache", metadata={"help": "folder of exported ONNX models, "
                                                                             "assembled models and weight checksums"})
    precision: str = field(default="fp32", metadata={"help": "ONNX weights: fp32, or int8 (dynamic quantisation: "
                                                             "faster, vectors move; see the README's figures)"})

    def limits(self) -> "DocumentLimits":
        return DocumentLimits(int(self.max_file_mb * 2**20), self.max_text_chars, int(self.max_part_mb * 2**20),
                              self.max_headings, self.max_heading_depth, self.doc_seconds, self.max_passages)

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> "Settings":
        """Defaults, then ``SEARCH_*`` environment variables, then explicit overrides (None ignored)."""
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            raw = env.get(f"SEARCH_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _coerce(f, raw)
        values.update({k: _coerce(_field(k), v) for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **{k: _coerce(_field(k), v) for k, v in changes.items()})


def _field(name: str):
    for f in fields(Settings):
        if f.name == name:
            return f
    raise KeyError(f"unknown setting {name!r}")


def _coerce(f, value):
    kind = type(f.default)
    if isinstance(value, kind):
        return value
    if kind is Path:
        return Path(value).expanduser().resolve()
    if kind is bool:
        return str(value).lower() in {"1", "true", "yes", "on"}
    return kind(value)


def describe() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting: the README's table."""
    return [(f"SEARCH_{f.name.upper()}", str(f.default), f.metadata["help"]) for f in fields(Settings)]
