"""`mediaplan snapshot serve --port P` (issue 14): the offline snapshot on its own, for crawls by hand
(`mediaplan crawl --snapshot URL`); a port already taken is one Vietnamese line; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from mediaplan.mailsink import free_port
from conftest import run_cli


def _serve(port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "mediaplan", "snapshot", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait(port: int, proc: subprocess.Popen) -> None:
    for _ in range(200):
        assert proc.poll() is None, proc.communicate()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the snapshot server did not start")


def test_serves_the_snapshot_a_crawl_reads_it_and_sigterm_stops_it(db):
    port = free_port()
    proc = _serve(port)
    try:
        _wait(port, proc)
        url = f"http://127.0.0.1:{port}"
        robots = urllib.request.urlopen(f"{url}/sgddt.quangngai.gov.vn/robots.txt", timeout=10).read().decode()
        assert "Sitemap: https://sgddt.quangngai.gov.vn/sitemap.xml" in robots
        crawl = run_cli("crawl", "--source", "sotuphap-tin-tuc", "--snapshot", url, "--no-progress")
        assert "sotuphap-tin-tuc" in crawl.stdout and "Traceback" not in crawl.stderr
        again = run_cli("crawl", "--source", "sotuphap-tin-tuc", "--snapshot", url, "--no-progress")  # idempotent
        from sqlalchemy import func, select

        from mediaplan.db import session_scope
        from mediaplan.db.schema import Item, Outlet

        with session_scope() as session:
            n = session.scalar(select(func.count(Item.id)).join(Outlet).where(Outlet.key == "sotuphap"))
        assert n == 2 and "Traceback" not in again.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out, errors = proc.communicate(timeout=30)
    assert proc.returncode == 0 and f"http://127.0.0.1:{port}" in out and "Đã dừng" in out and not errors


def test_a_port_already_taken_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = run_cli("snapshot", "serve", "--port", str(taken.getsockname()[1]), check=False)
    assert proc.returncode == 1 and "cổng đang được một chương trình khác dùng" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
