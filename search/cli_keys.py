"""``python -m search keys add|revoke|list``: API keys for tools (``keys.py``), kept in ``SEARCH_KEYS_FILE``.

    python -m search keys add ci-bot --groups hr,legal     # prints the key once; only its hash is kept
    python -m search keys list
    python -m search keys revoke ci-bot                    # a running server refuses it at once
"""
from __future__ import annotations

import sys
from pathlib import Path

from .access import AccessError
from .settings import Settings


def keys_path(args) -> Path:
    path = args.file or Settings.from_env().keys_file
    if not path:
        raise AccessError("no keys file: set SEARCH_KEYS_FILE or pass --file")
    return Path(path)


def cmd_keys(args) -> int:
    """Run one keys action; a bad name, group or file is a one-line error with exit status 2."""
    try:
        return _run(args)
    except AccessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from .keys import add_key, parse_groups, read_keys, revoke_key

    path = keys_path(args)
    if args.action == "add":
        groups = parse_groups(args.groups or "")
        secret = add_key(path, args.name, groups)
        print(secret)
        print(f"key {args.name!r} for {', '.join(groups) or 'public documents only'} added to {path}; "
              "this is the only time the key is shown", file=sys.stderr)
        return 0
    if args.action == "revoke":
        if not revoke_key(path, args.name):
            print(f"error: no key named {args.name!r} in {path}", file=sys.stderr)
            return 2
        print(f"key {args.name!r} revoked")
        return 0
    for key in read_keys(path):
        print(f"{key.name}\t{','.join(key.groups) or '(public only)'}\t{key.created}")
    return 0


def add_parser(sub) -> None:
    """Register ``keys`` on the CLI's subparsers."""
    k = sub.add_parser("keys", help="make, list and revoke API keys for tools (SEARCH_KEYS_FILE)")
    actions = k.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="make a key and print it once")
    add.add_argument("name", help="who or what uses it (shown in the audit log)")
    add.add_argument("--groups", default="", help="comma-separated groups it reads as; * for every group; "
                                                  "none: public documents only")
    revoke = actions.add_parser("revoke", help="remove a key; servers refuse it at once")
    revoke.add_argument("name")
    actions.add_parser("list", help="names, groups and dates (never the keys)")
    for p in (add, revoke, actions.choices["list"]):
        p.add_argument("--file", help="the keys file (default: SEARCH_KEYS_FILE)")
    k.set_defaults(func=cmd_keys)
