"""Who may read which document: the access policy file, the groups a build records, what a caller may read.

The policy (``SEARCH_ACCESS_POLICY``) is TOML::

    default = "closed"          # documents no rule matches: "public" (anyone) or "closed" (no one)

    [[rule]]
    match = "hr/*"              # a glob on the document id (its path under the seeds folder; * also crosses /)
    groups = ["hr", "legal"]    # who may read them; "public" for anyone, [] for no one

The first rule whose ``match`` fits a document decides; ``default`` decides the rest.

    >>> policy = parse_policy('default = "public"\\n[[rule]]\\nmatch = "hr/*"\\ngroups = ["hr"]\\n')
    >>> policy.groups_of("hr/case.txt"), policy.groups_of("report.txt")
    (('hr',), 'public')
    >>> sorted(readable(policy.record(["hr/case.txt", "report.txt"]), None, frozenset(), ["hr/case.txt", "report.txt"]))
    ['report.txt']

A build writes ``policy.record(doc_ids)`` into the index manifest (``manifest["access"]``). The
server then lets a caller read a document only when both the index's record and the policy file it
has read now allow it, so tightening the file takes effect at once and loosening it takes a build
(which re-publishes without re-embedding). Unknown keys and malformed values are refused
(``AccessError``): a typo must not open documents.
"""
from __future__ import annotations

import fnmatch
import logging
import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Generic, Iterable, TypeVar

from .errors import SearchError

PUBLIC = "public"
CLOSED = "closed"
EVERY_GROUP = "*"      # a caller in this group (a full key) is in every group; closed documents stay closed

log = logging.getLogger("search.access")


class AccessError(SearchError):
    """A policy or keys file that cannot be used; the message names the file and the fix."""

    status = 500


@dataclass(frozen=True)
class AccessPolicy:
    """``default`` ("public" | "closed") and ``rules``: (glob, groups tuple or "public"), first match wins."""

    default: str = PUBLIC
    rules: tuple[tuple[str, tuple[str, ...] | str], ...] = ()

    def groups_of(self, doc_id: str) -> tuple[str, ...] | str:
        """"public", or the groups that may read ``doc_id`` (() for no one)."""
        for pattern, groups in self.rules:
            if doc_id == pattern or fnmatch.fnmatchcase(doc_id, pattern):   # "Budget [DRAFT].txt" names itself
                return groups
        return PUBLIC if self.default == PUBLIC else ()

    def unmatched(self, doc_ids: Iterable[str]) -> list[str]:
        """The rules' ``match`` patterns that name none of ``doc_ids`` (a typo would leave documents
        to the default without a word)."""
        ids = list(doc_ids)
        return [pattern for pattern, _ in self.rules
                if not any(d == pattern or fnmatch.fnmatchcase(d, pattern) for d in ids)]

    def record(self, doc_ids: Iterable[str]) -> dict:
        """What a build writes into the manifest: ``{"default": ..., "documents": {id: "public" | [groups]}}``."""
        documents = {}
        for doc_id in sorted(doc_ids):
            groups = self.groups_of(doc_id)
            documents[doc_id] = groups if groups == PUBLIC else list(groups)
        return {"default": self.default, "documents": documents}


OPEN_POLICY = AccessPolicy()                 # no policy file: every document public
CLOSED_POLICY = AccessPolicy(default=CLOSED)  # a policy file that cannot be read any more: no one reads anything


def parse_policy(text: str, source: str = "the access policy") -> AccessPolicy:
    """The policy in ``text`` (TOML); ``AccessError`` names the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccessError(f"{source} is not valid TOML: {exc}") from None
    unknown = set(data) - {"default", "rule"}
    if unknown:
        raise AccessError(f"{source}: unknown key {sorted(unknown)[0]!r}; the keys are default and [[rule]]")
    default = data.get("default")
    if default not in (PUBLIC, CLOSED):
        raise AccessError(f'{source}: default must be "public" or "closed" (documents no rule matches)')
    rules = data.get("rule", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise AccessError(f"{source}: rule must be a list of [[rule]] tables")
    parsed = []
    for n, rule in enumerate(rules, start=1):
        where = f"{source}, rule {n}"
        if set(rule) != {"match", "groups"}:
            raise AccessError(f"{where}: a rule has exactly two keys, match and groups (found {sorted(rule)})")
        pattern, groups = rule["match"], rule["groups"]
        if not isinstance(pattern, str) or not pattern.strip():
            raise AccessError(f"{where}: match must be a glob on document ids, like \"hr/*\"")
        if groups == PUBLIC:
            parsed.append((pattern, PUBLIC))
            continue
        if not isinstance(groups, list) or not all(valid_group(g) for g in groups):
            raise AccessError(f'{where}: groups must be "public" or a list of group names (no commas, no spaces '
                              f'at either end, not "*")')
        parsed.append((pattern, tuple(dict.fromkeys(groups))))
    return AccessPolicy(default, tuple(parsed))


def valid_group(name) -> bool:
    return (isinstance(name, str) and bool(name) and name == name.strip() and "," not in name
            and name != EVERY_GROUP and name != PUBLIC)


def load_policy(path: str | os.PathLike) -> AccessPolicy:
    """The policy file at ``path``; ``AccessError`` when it is missing, unreadable or malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessError(f"cannot read the access policy {path}: {exc}") from None
    return parse_policy(text, str(path))


def readable(recorded: dict | None, policy: AccessPolicy | None, groups: frozenset[str],
             doc_ids: Iterable[str]) -> frozenset[str] | None:
    """The documents among ``doc_ids`` a caller in ``groups`` may read, or None when that is all of them.

    ``recorded`` is the index's ``manifest["access"]`` (None for an index built before access was
    recorded: then the policy alone decides); ``policy`` is the file read now (None: none
    configured). A document must be allowed by both. A document missing from the record is closed.
    """
    doc_ids = list(doc_ids)
    if recorded is None and policy is None:
        return None
    recorded_docs = (recorded or {}).get("documents")
    if recorded is not None and not isinstance(recorded_docs, dict):
        recorded_docs = {}    # a damaged record: nothing is readable
    out = set()
    for doc_id in doc_ids:
        if recorded is not None and not may_read(_as_groups(recorded_docs.get(doc_id, ())), groups):
            continue
        if policy is not None and not may_read(policy.groups_of(doc_id), groups):
            continue
        out.add(doc_id)
    return None if len(out) == len(doc_ids) else frozenset(out)


def _as_groups(value) -> tuple[str, ...] | str:
    if value == PUBLIC:
        return PUBLIC
    return tuple(g for g in value if isinstance(g, str)) if isinstance(value, list) else ()


def may_read(document_groups: tuple[str, ...] | str, caller_groups: frozenset[str]) -> bool:
    """Whether a caller in ``caller_groups`` may read a document readable by ``document_groups``.

    >>> may_read("public", frozenset()), may_read(("hr",), frozenset({"hr"})), may_read((), frozenset({"*"}))
    (True, True, False)
    """
    if document_groups == PUBLIC:
        return True
    return bool(document_groups) and (EVERY_GROUP in caller_groups or not caller_groups.isdisjoint(document_groups))


T = TypeVar("T")


class WatchedFile(Generic[T]):
    """A file parsed once and again whenever it changes (size, time or inode), checked at each ``get()``.

    ``parse(path) -> T`` raises ``AccessError`` for a bad file. The first read raises it (a server
    does not start on a broken file); a later bad version logs the error and gives ``fallback``,
    which must be the safe answer (no keys, nothing readable), until the file is fixed.
    """

    def __init__(self, path: str | os.PathLike, parse: Callable[[Path], T], fallback: T):
        self.path = Path(path)
        self._parse = parse
        self._fallback = fallback
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._value = parse(self.path)
        self.generation = 0     # counts changes: a cache keyed by it never serves an old file's answer
        self.problem = ""       # why the file now in place could not be read ("" when it was)

    def _stat(self):
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def get(self) -> T:
        stamp = self._stat()
        if stamp == self._stamp:
            return self._value
        with self._lock:
            if stamp != self._stamp:
                try:
                    value, self.problem = self._parse(self.path), ""
                except AccessError as exc:
                    log.error("%s; refusing what it would allow until it is fixed", exc)
                    value, self.problem = self._fallback, str(exc)
                self._value, self._stamp = value, stamp
                self.generation += 1
        return self._value


def configured_policy(settings) -> AccessPolicy | None:
    """The policy file named by ``settings.access_policy``, read now; None when none is set."""
    return load_policy(settings.access_policy) if settings.access_policy else None
