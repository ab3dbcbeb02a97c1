"""`mediaplan backup --out FILE` and `mediaplan restore FILE` (issue 14), on SQLite and PostgreSQL.

A round trip goes through the real commands: a classified database with raw pages is backed up, restored into a
new empty database and a new data folder, and every table's rows and every raw page are compared, computed
again from the restored copy, not read from the manifest.
"""

import gzip
import json
import tarfile

import pytest
from sqlalchemy import create_engine

from conftest import _pg_database, run_cli


def _raw(data_dir, n=3):
    for i in range(n):
        folder = data_dir / "raw" / f"{i:02x}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i:02x}page.gz").write_bytes(gzip.compress(f"<html>trang {i}</html>".encode()))


def _fingerprints(url):
    from mediaplan.services.backup import table_fingerprints

    engine = create_engine(url)
    try:
        return table_fingerprints(engine)
    finally:
        engine.dispose()


@pytest.fixture
def empty_target(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    with _pg_database() as url:
        yield url


def test_a_backup_restores_into_an_empty_database_with_identical_rows(populated_db, empty_target, tmp_path):
    source_env = {"MEDIAPLAN_DATABASE_URL": populated_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    _raw(tmp_path / "var")
    run_cli("users", "add", "thuthu", "--role", "viewer", "--password-stdin", env=source_env,
            stdin="một mật khẩu dài và khó đoán 71\n")
    out = tmp_path / "mediaplan.backup"
    said = run_cli("backup", "--out", str(out), env=source_env).stdout
    assert "Đã sao lưu" in said and "3 trang gốc" in said
    with tarfile.open(out) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "manifest.json" in names and len([n for n in names if n.startswith("raw/")]) == 3
    assert manifest["tables"]["items"]["rows"] == 3 and manifest["tables"]["users"]["rows"] >= 1

    target_env = {"MEDIAPLAN_DATABASE_URL": empty_target, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var2")}
    said = run_cli("restore", str(out), env=target_env).stdout
    assert "số dòng và mã băm khớp" in said
    assert _fingerprints(empty_target) == _fingerprints(populated_db)  # every table, every row
    for page in (tmp_path / "var" / "raw").rglob("*.gz"):
        copy = tmp_path / "var2" / page.relative_to(tmp_path / "var")
        assert copy.read_bytes() == page.read_bytes()
    listed = run_cli("users", "list", env=target_env).stdout
    assert "thuthu" in listed  # the restored database is usable as it is

    again = run_cli("restore", str(out), env=target_env, check=False)  # idempotent: a second restore refuses
    assert again.returncode == 1 and "không trống" in again.stderr and "Traceback" not in again.stderr
    assert _fingerprints(empty_target) == _fingerprints(populated_db)


def test_a_file_that_is_not_a_backup_is_one_line(tmp_path, sqlite_url):
    env = {"MEDIAPLAN_DATABASE_URL": sqlite_url, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    bogus = tmp_path / "x.backup"
    bogus.write_text("không phải tệp sao lưu")
    proc = run_cli("restore", str(bogus), env=env, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "không đọc được tệp sao lưu" in proc.stderr
    missing = run_cli("restore", str(tmp_path / "khong-co.backup"), env=env, check=False)
    assert missing.returncode == 1 and "không có tệp" in missing.stderr


def test_a_backup_into_a_missing_folder_writes_nothing(tmp_path, sqlite_db):
    env = {"MEDIAPLAN_DATABASE_URL": sqlite_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    proc = run_cli("backup", "--out", str(tmp_path / "khong-co" / "b.backup"), env=env, check=False)
    assert proc.returncode == 1 and "thư mục không tồn tại" in proc.stderr
    assert not (tmp_path / "khong-co").exists()


def test_a_changed_backup_is_refused_not_half_trusted(tmp_path, sqlite_db):
    """A manifest that no longer matches its database (a damaged or edited file) fails the check after loading."""
    env = {"MEDIAPLAN_DATABASE_URL": sqlite_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    out = tmp_path / "b.backup"
    run_cli("backup", "--out", str(out), env=env)
    with tarfile.open(out) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["themes"]["rows"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()
    damaged = tmp_path / "damaged.backup"
    import io

    with tarfile.open(damaged, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    proc = run_cli("restore", str(damaged), env={"MEDIAPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
                                                 "MEDIAPLAN_DATA_DIR": str(tmp_path / "var2")}, check=False)
    assert proc.returncode == 1 and "không khớp bản sao lưu ở bảng: themes" in proc.stderr
