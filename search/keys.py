"""API keys for tools: each key is shown once when made; the keys file keeps only its SHA-256, name and groups.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "keys.json"
    >>> secret = add_key(path, "ci", ["hr"])
    >>> find_key(read_keys(path), secret).name, find_key(read_keys(path), "sk-wrong")
    ('ci', None)

A key is 256 random bits (``secrets``), so one unsalted SHA-256 is enough to store it: there is no
dictionary to try against it. Presented keys are compared with every stored hash in constant
time (``hmac.compare_digest``). The file (JSON, written atomically with mode 0600)::

    {"keys": [{"name": "ci", "groups": ["hr"], "sha256": "…", "created": "2026-11-30T18:00:00Z"}]}
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .access import EVERY_GROUP, AccessError, valid_group

PREFIX = "sk-"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class ApiKey:
    name: str
    groups: tuple[str, ...]
    sha256: str
    created: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "groups": list(self.groups), "sha256": self.sha256, "created": self.created}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def read_keys(path: str | os.PathLike) -> tuple[ApiKey, ...]:
    """The keys in the file (none when it does not exist yet); ``AccessError`` when it is malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessError(f"cannot read the keys file {path}: {exc}") from None
    try:
        rows = json.loads(text)["keys"]
        keys = tuple(ApiKey(r["name"], tuple(r["groups"]), r["sha256"], r.get("created", "")) for r in rows)
    except (ValueError, KeyError, TypeError) as exc:
        raise AccessError(f"the keys file {path} is malformed ({type(exc).__name__}: {exc}); "
                          "make it again with `python -m search keys add`") from None
    for key in keys:
        if not (isinstance(key.name, str) and isinstance(key.sha256, str) and len(key.sha256) == 64
                and all(g == EVERY_GROUP or valid_group(g) for g in key.groups)):
            raise AccessError(f"the keys file {path} has a malformed entry; make it again with "
                              "`python -m search keys add`")
    return keys


def find_key(keys: tuple[ApiKey, ...], presented: str) -> ApiKey | None:
    """The key whose hash matches ``presented``, or None; every stored hash is compared, in constant time."""
    digest = key_hash(presented).encode("ascii")
    found = None
    for key in keys:
        if hmac.compare_digest(digest, key.sha256.encode("ascii")):
            found = key
    return found


def parse_groups(text: str) -> list[str]:
    """"hr,legal" -> ["hr", "legal"]; "*" is every group; ``AccessError`` for an empty or bad name."""
    groups = [g.strip() for g in (text or "").split(",") if g.strip()]
    bad = [g for g in groups if g != EVERY_GROUP and not valid_group(g)]
    if bad:
        raise AccessError(f"bad group name {bad[0]!r}")
    return list(dict.fromkeys(groups))


def add_key(path: str | os.PathLike, name: str, groups: list[str]) -> str:
    """Make a key named ``name`` for ``groups``, store its hash, and return the key (the only time it is seen).

    ``AccessError`` when the name is malformed or taken (revoke the old key first, or use a new name
    while rotating).
    """
    if not NAME.match(name or ""):
        raise AccessError(f"bad key name {name!r}: letters, digits and . _ @ - only, at most 64 characters")
    keys = read_keys(path)
    if any(k.name == name for k in keys):
        raise AccessError(f"there is already a key named {name!r}; revoke it first or choose another name")
    secret = PREFIX + secrets.token_urlsafe(32)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _write(path, keys + (ApiKey(name, tuple(groups), key_hash(secret), created),))
    return secret


def revoke_key(path: str | os.PathLike, name: str) -> bool:
    """Remove the key named ``name``; False when there is none. A running server stops accepting it at once."""
    keys = read_keys(path)
    kept = tuple(k for k in keys if k.name != name)
    if len(kept) == len(keys):
        return False
    _write(path, kept)
    return True


def _write(path: str | os.PathLike, keys: tuple[ApiKey, ...]) -> None:
    """Write the whole file to a temporary one beside it, readable by its owner only, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"keys": [k.to_json() for k in keys]}, f, indent=2)
            f.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
