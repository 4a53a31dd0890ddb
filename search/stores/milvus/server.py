"""A local Milvus server for tests and the benchmark: Milvus Lite's gRPC server in a child process.

    server = LocalMilvus(data_dir)      # python -m milvus_lite server --host 127.0.0.1 --port P --data-dir D
    settings = settings.replace(store=server.uri)
    server.kill(); server.start()       # a crash and a restart on the same port and data
    server.stop()

It listens on loopback only. Needs milvus-lite (``requirements-milvus.txt``).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalMilvus:
    """Milvus Lite's server on ``127.0.0.1:port`` over ``data_dir``; ``uri`` is its address.

    Raises RuntimeError (with the log's tail) when it exits or does not listen within ``timeout`` s.
    """

    def __init__(self, data_dir: Path, port: int | None = None, timeout: float = 60.0):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or _free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.log_path = self.data_dir.parent / f"milvus-{self.port}.log"
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--host", "127.0.0.1",
                                          "--port", str(self.port), "--data-dir", str(self.data_dir)],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"milvus-lite exited with {self.proc.returncode}: {self._tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"milvus-lite did not listen on port {self.port} within {self.timeout} s: {self._tail()}")

    def _tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as a crash would: no clean shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s. Safe to call twice."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()
