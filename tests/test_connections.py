"""One client holding hundreds of idle connections does not lock everyone else out (a real server)."""
import os
import socket
import subprocess
import sys

import pytest

from search.bench.tools import free_port, wait_for
from search.build import build_index

from .conftest import ROOT


@pytest.mark.server
def test_one_address_holding_hundreds_of_connections_does_not_lock_others_out(tiny_seeds, tmp_path, fake_embedder):
    build_index(tiny_seeds, tmp_path / "index", fake_embedder, progress=False, log=lambda m: None)
    port = free_port()
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "search", "serve", "--port", str(port), "--seeds", str(tiny_seeds),
                             "--index", str(tmp_path / "index")], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "SEARCH_ENCODER": "fake", "SEARCH_MAX_CLIENT_CONNECTIONS": "32"})
    hogs = []
    try:
        wait_for(f"http://127.0.0.1:{port}/api/health", proc=proc)
        for _ in range(300):   # more than the server's 256 connections in all, from one address
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")    # a request that never ends
            hogs.append(s)
        other = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=("127.0.0.2", 0))
        other.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = other.recv(200)
        other.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer
        closed = 0
        for s in hogs:
            s.settimeout(0.2)
            try:
                closed += s.recv(1) == b""
            except (socket.timeout, ConnectionError):
                closed += isinstance(sys.exc_info()[1], ConnectionError)
        assert closed >= 300 - 32 - 5    # the address's connections over its limit were closed at once
        for s in hogs:
            s.close()
        hogs.clear()
        wait_for(f"http://127.0.0.1:{port}/api/health", timeout=30, proc=proc)   # its closed ones count no more
    finally:
        for s in hogs:
            s.close()
        proc.terminate()
        proc.wait(10)
        log.close()
