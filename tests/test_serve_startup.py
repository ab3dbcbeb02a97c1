"""`mediaplan serve` waits for a database that comes up late, and stops on SIGTERM (issue 14).

The late database is real PostgreSQL behind a TCP forwarder that starts listening only after `serve` has
already tried and failed: exactly what a server sees when the database container starts after it.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from conftest import _pg_database, _require_pg

pytestmark = [pytest.mark.pg, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _forward(listen_port: int, target: tuple[str, int], stop: threading.Event) -> None:
    """Accept on listen_port and pipe each connection to target, until stopped."""
    server = socket.create_server(("127.0.0.1", listen_port))
    server.settimeout(0.2)

    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    while not stop.is_set():
        try:
            client, _ = server.accept()
        except socket.timeout:
            continue
        upstream = socket.create_connection(target)
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
    server.close()


@pytest.fixture
def pg_empty():
    _require_pg()
    with _pg_database() as url:
        yield url


def test_serve_waits_for_a_late_database_then_stops_on_sigterm(tmp_path, pg_empty):
    db_port, web_port = _free_port(), _free_port()
    url = pg_empty.replace(":5432/", f":{db_port}/")
    assert url != pg_empty
    env = {**os.environ, "MEDIAPLAN_DATABASE_URL": url, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var"),
           "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "mediaplan", "serve", "--port", str(web_port), "--wait", "60"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()
    try:
        time.sleep(4)  # serve has tried at least once and is waiting
        assert proc.poll() is None
        threading.Thread(target=_forward, args=(db_port, ("127.0.0.1", 5432), stop), daemon=True).start()
        deadline, health = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/healthz", timeout=5) as answer:
                    health = answer.status
                    break
            except OSError:
                time.sleep(0.5)
        assert health == 200
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        stderr = proc.stderr.read()
        # uvicorn shuts down gracefully, then re-raises the signal it caught so the exit says why it ended
        assert code in (0, -signal.SIGTERM) and "Finished server process" in stderr, stderr
        assert "Chờ cơ sở dữ liệu" in stderr and "không kết nối được máy chủ cơ sở dữ liệu" in stderr
        assert "Traceback" not in stderr
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()


def test_serve_gives_up_after_its_wait_with_one_line(tmp_path):
    port = _free_port()
    env = {**os.environ, "MEDIAPLAN_DATABASE_URL": f"postgresql+psycopg://127.0.0.1:{port}/mediaplan",
           "MEDIAPLAN_DATA_DIR": str(tmp_path / "var"), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "mediaplan", "serve", "--port", str(_free_port()), "--wait", "3"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("Lỗi: không kết nối được máy chủ cơ sở dữ liệu")
    assert proc.stderr.count("Chờ cơ sở dữ liệu") >= 1


def test_two_workers_share_one_signed_session(sqlite_db, tmp_path):
    """`serve --workers 2`: both processes sign with the one key made before they start, so a session made by
    one is good on the other; no request of thirty, each on a new connection, is sent back to the login."""
    import re

    import httpx

    from accounts import PASSWORD, ensure_user

    ensure_user(sqlite_db, "phantich2", "analyst")
    port = _free_port()
    env = {**os.environ, "MEDIAPLAN_DATABASE_URL": sqlite_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var"),
           "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "mediaplan", "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        with httpx.Client(base_url=base, headers={"Connection": "close"}) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            signed = client.post("/login", data={"username": "phantich2", "password": PASSWORD, "csrf_token": token})
            assert signed.status_code == 303
            answers = [client.get("/items", follow_redirects=False).status_code for _ in range(30)]
        assert answers == [200] * 30
        key = (tmp_path / "var" / "secret_key").read_text()
        assert len(key) > 40
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    stderr = proc.stderr.read()
    assert len(re.findall(r"Started server process \[\d+\]", stderr)) == 2, stderr
    assert "Traceback" not in stderr
