"""`mediaplan snapshot serve --port P`: the bundled offline snapshot on its own, so that crawls, concurrency and
faults can be tried by hand against it (`mediaplan crawl --snapshot URL`), as `mediaplan demo` does internally."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaplan.cli._kit import console, fail

snapshot_app = typer.Typer(help="Bản chụp ngoại tuyến của các trang được theo dõi.", no_args_is_help=True)


@snapshot_app.command("serve")
def snapshot_serve(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Cổng; 0 = một cổng còn trống.")] = 8100,
    host: Annotated[str, typer.Option("--host", help="Địa chỉ lắng nghe (mặc định chỉ máy này).")] = "127.0.0.1",
):
    """Phục vụ bản chụp qua HTTP cho tới khi nhận Ctrl+C hoặc SIGTERM."""
    import errno
    import signal
    import threading

    from mediaplan.snapshot.server import SnapshotServer

    try:
        server = SnapshotServer(host=host, port=port)
    except OSError as exc:  # port taken, no permission, unknown address
        why = {errno.EADDRINUSE: "cổng đang được một chương trình khác dùng", errno.EACCES: "không có quyền mở cổng này",
               errno.EADDRNOTAVAIL: "máy này không có địa chỉ đó"}.get(exc.errno, str(exc))
        fail(f"không mở được {host}:{port}: {why}")
    url = server.start()
    console.print(f"Bản chụp ngoại tuyến: {url}  (thử: mediaplan crawl --snapshot {url}); Ctrl+C để dừng", highlight=False)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    server.stop()
    console.print("Đã dừng máy chủ bản chụp.")
