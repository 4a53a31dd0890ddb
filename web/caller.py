"""Who is asking, for the current request, and which documents they may read.

``SEARCH_AUTH`` decides how a caller is known:

- ``open``: anyone may call; without a key the caller is anonymous and reads public documents only.
- ``keys``: every call needs ``Authorization: Bearer KEY`` (``python -m search keys add``).
- ``proxy``: a sign-in proxy in front (oauth2-proxy or similar) names the user and groups in headers,
  believed only from ``SEARCH_TRUSTED_PROXIES``; tools may still send a key.

A valid key is accepted in every mode (in ``open`` only when a keys file is set); a key that is
given but wrong is always a 401. Unknown callers get 401 in the API's error shape and a plain
sign-in page. ``allowed_docs()`` is what every view passes on to the engine.
"""
from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app, g, render_template, request

from search.access import CLOSED_POLICY, AccessError, WatchedFile, load_policy, readable, valid_group
from search.keys import find_key, read_keys

from .errors import error_response

MODES = ("open", "keys", "proxy")
OPEN_PATHS = frozenset({"/api/health", "/api/openapi.json", "/api/reload"})   # health counts only what the caller
                                                                               # may read; reload has its own token
MAX_NAME = 200          # characters of a proxy's user name kept for the audit log


@dataclass(frozen=True)
class Caller:
    """``name`` as the audit log shows it ("user:alice", "key:ci", "anonymous"), and the caller's groups."""

    name: str
    groups: frozenset[str] = frozenset()


ANONYMOUS = Caller("anonymous")


class Access:
    """The app's access state: mode, keys file, policy file and trusted proxies; built once per app."""

    def __init__(self, settings):
        if settings.auth not in MODES:
            raise AccessError(f"SEARCH_AUTH must be one of {', '.join(MODES)}, not {settings.auth!r}")
        if settings.auth == "keys" and not settings.keys_file:
            raise AccessError("SEARCH_AUTH=keys needs SEARCH_KEYS_FILE (make keys with `python -m search keys add`)")
        self.mode = settings.auth
        try:
            self.proxies = tuple(ipaddress.ip_network(a.strip(), strict=False)
                                 for a in settings.trusted_proxies.split(",") if a.strip())
        except ValueError as exc:
            raise AccessError(f"SEARCH_TRUSTED_PROXIES: {exc}") from None
        if self.mode == "proxy" and not self.proxies:
            raise AccessError("SEARCH_AUTH=proxy needs SEARCH_TRUSTED_PROXIES: the addresses of the sign-in proxy")
        self.user_header, self.groups_header = settings.proxy_user_header, settings.proxy_groups_header
        self.keys = WatchedFile(settings.keys_file, read_keys, ()) if settings.keys_file else None
        self.policy = WatchedFile(settings.access_policy, load_policy, CLOSED_POLICY) if settings.access_policy else None
        self._cache: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def identify(self) -> Caller | None:
        """The caller of the current request; None when unknown (no credentials, or wrong ones)."""
        if "Authorization" in request.headers:      # a key, right or wrong, decides in every mode
            scheme, _, given = request.headers["Authorization"].partition(" ")
            key = find_key(self.keys.get(), given.strip()) if scheme.lower() == "bearer" and self.keys else None
            return Caller(f"key:{key.name}", frozenset(key.groups)) if key else None
        if self.mode == "proxy" and self._from_proxy():
            user = _utf8(request.headers.get(self.user_header, "")).strip()
            if user:   # the proxy's groups are names only: "*" (every group) is for keys made here
                groups = _utf8(request.headers.get(self.groups_header, ""))
                return Caller(f"user:{user[:MAX_NAME]}", frozenset(p.strip() for p in groups.split(",")
                                                                    if valid_group(p.strip())))
        return ANONYMOUS if self.mode == "open" else None

    def _from_proxy(self) -> bool:
        try:
            address = ipaddress.ip_address((request.remote_addr or "").split("%")[0])
        except ValueError:
            return False
        return any(address in network for network in self.proxies)

    def allowed(self, engine, groups: frozenset[str]) -> frozenset[str] | None:
        """The documents of ``engine``'s version a caller in ``groups`` may read; None: all of them.

        Cached by (version, policy file generation, groups), so a changed index or policy is never
        answered from an old entry, and each caller's set is their own groups' set.
        """
        policy = self.policy.get() if self.policy else None
        key = (engine.version, self.policy.generation if self.policy else 0, groups)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = readable(engine.store.info().get("access"), policy, groups, engine.document_ids)
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > 256:
                self._cache.popitem(last=False)
        return value


def _utf8(value: str) -> str:
    """A header as the proxy wrote it: WSGI hands over its bytes as Latin-1; UTF-8 names ("финансы") are
    read back as UTF-8, anything else is left as it came."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def init_app(app, settings) -> None:
    """Check the access settings (``AccessError`` names a wrong one) and ask every request who it is."""
    app.extensions["access"] = Access(settings)
    app.before_request(authenticate)


def authenticate():
    """Know the caller before any view runs; unknown callers get 401 (the API's error shape, or a sign-in page)."""
    access = current_app.extensions["access"]
    g.caller = access.identify()
    if g.caller is not None or request.path in OPEN_PATHS or request.path.startswith("/static/"):
        return None
    headers = {"WWW-Authenticate": 'Bearer realm="search"'}
    if request.path.startswith("/api/") or request.path == "/api":
        message = ("sign in: send Authorization: Bearer KEY" if "Authorization" not in request.headers
                   else "the key is not valid (revoked, mistyped or from another server)")
        return error_response(401, message, headers)
    proxied = access.mode == "proxy"
    return render_template("signin.html", proxied=proxied), 401, headers


def caller() -> Caller:
    """The current request's caller (anonymous when not known: only open paths get that far)."""
    return g.get("caller") or ANONYMOUS


def caller_name() -> str:
    """The caller as the audit log names it: "user:NAME", "key:NAME", "anonymous", or "unknown" (refused)."""
    found = g.get("caller")
    return found.name if found is not None else "unknown"


def allowed_docs(engine=None) -> frozenset[str] | None:
    """The document ids the current caller may read in ``engine``'s version (default: the one now
    served); None: every document. Pass the engine that will answer when you hold one, so an index
    switched mid-request is never answered with another version's set.

    Raises the service's 503 error when there is no usable index (as a search would).
    """
    engine = engine or current_app.extensions["search"].engine()
    return current_app.extensions["access"].allowed(engine, caller().groups)
