"""Backup and restore of the database and the files of the data dir: the ``duban backup`` and ``duban restore``
commands.

A backup is one tar file: ``manifest.json`` (format, database kind, the SHA-256 of every member), the database
(``database.sqlite3`` or ``database.pgdump``) and ``files/``: every file of the data dir (attachments, completion
evidence, 督办通知单) except the database, the backups and the lock file. SQLite is copied with SQLite's online
backup API (``sqlite3.Connection.backup``), a consistent snapshot while the server keeps serving; PostgreSQL with
``pg_dump -Fc``. The database is copied before the files: a file is written before the row that names it commits,
so every file the copied database names is there when the files are copied (a later file is copied too, unnamed).

A restore refuses while a server or worker runs on the data dir (``duban.core.running``; on PostgreSQL also while
another session is connected), so nothing can be written between its safety copy and the replacement. On an empty
database it migrates first. It checks the backup whole before it replaces anything: the members against the
manifest, the database file, and the audit chain of the backup's database (restored into a scratch database,
migrated, and verified by ``duban.core.audit.audit_verify`` in a child process); a backup whose chain fails is
refused. Then it backs up the current state (``pre-restore-<time>``), replaces the database (``pg_restore --clean
--if-exists --single-transaction``: everything or nothing), migrates it to this version of duban, and writes the
backup's files into the data dir (files the backup does not have stay; they are in the safety copy too). Both
commands write an audit event. A backup written by earlier versions (the bare database file) restores as before,
without files.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from duban.core import permissions as perms
from duban.core.audit import SYSTEM_USERNAME, EventType, audit_log
from duban.core.errors import InvalidInput, PermissionDenied
from duban.core.models import Role
from duban.core.running import STOP_HINT_EN, STOP_HINT_ZH, InstanceRunning, no_instance_running

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(InvalidInput):
    """A backup or restore that could not be done; nothing was changed."""


def _can_back_up(actor) -> bool:
    return getattr(actor, "username", None) == SYSTEM_USERNAME or perms.role_of(actor) == Role.SYSADMIN


def backup_dir() -> Path:
    return Path(settings.DATA_DIR) / "backups"


def default_backup_path(label: str = "duban") -> Path:
    suffix = ".sqlite3" if connection.vendor == "sqlite" else ".pgdump"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = backup_dir() / f"{label}-{stamp}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = backup_dir() / f"{label}-{stamp}-{n}{suffix}"
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` from PATH, else from the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if not candidates:
        raise BackupError(f"找不到 {name}，请安装 PostgreSQL 客户端", f"{name} not found; install the PostgreSQL client")
    return candidates[-1]


def _pg_args() -> tuple[list[str], dict]:
    cfg = connection.settings_dict
    args = []
    if cfg.get("HOST"):
        args += ["-h", str(cfg["HOST"])]
    if cfg.get("PORT"):
        args += ["-p", str(cfg["PORT"])]
    if cfg.get("USER"):
        args += ["-U", str(cfg["USER"])]
    env = dict(os.environ)
    if cfg.get("PASSWORD"):
        env["PGPASSWORD"] = str(cfg["PASSWORD"])
    return args, env


def _run(cmd: list[str], env: dict) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{Path(cmd[0]).name} 失败：{' '.join(tail)}", f"{Path(cmd[0]).name} failed: {' '.join(tail)}")


def _write_backup(target: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        dst = sqlite3.connect(target)
        try:
            # A consistent snapshot page by page; writers of other processes wait on the busy timeout meanwhile.
            connection.connection.backup(dst)
        finally:
            dst.close()
    elif connection.vendor == "postgresql":
        args, env = _pg_args()
        _run([pg_tool("pg_dump"), "-Fc", "--no-owner", *args, "-f", str(target), connection.settings_dict["NAME"]],
             env)
    else:
        raise BackupError(f"不支持的数据库：{connection.vendor}", f"unsupported database: {connection.vendor}")


MANIFEST = "manifest.json"
FILES_PREFIX = "files/"
BACKUP_FORMAT = 1
# Kept out of the files of a backup: the database itself (SQLite and its WAL), the backups, the running lock.
_NOT_FILES = {"backups", "running.lock"}
SCRATCH_PREFIX = ".restore-"  # a restore's unpacked backup, removed when it ends


def _data_files() -> list[Path]:
    """The files of the data dir a backup keeps, relative to it, in a stable order."""
    root = Path(settings.DATA_DIR)
    database = Path(connection.settings_dict["NAME"]).name if connection.vendor == "sqlite" else None
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (not path.is_file() or path.is_symlink() or relative.parts[0] in _NOT_FILES
                or relative.parts[0].startswith(SCRATCH_PREFIX)):
            continue
        if database and relative.name.startswith(database) and len(relative.parts) == 1:
            continue  # duban.sqlite3, -wal, -shm
        if relative.name.endswith(".partial"):
            continue
        found.append(relative)
    return found


COPY_IN_MEMORY = 8 * 1024 * 1024  # a file larger than this is copied through a temporary file, not memory


def _add_snapshot(archive: tarfile.TarFile, path: Path, arcname: str) -> str:
    """Add ``path`` to ``archive`` as one read of it and return the SHA-256 of exactly the bytes archived. A file
    written while the backup runs (the audit anchor log gains a line with every committed audit event) is copied
    once, and hashed and archived from that copy: hashing the file and then archiving it read it twice, and a line
    appended in between made a backup whose manifest its own restore refused as damaged."""
    digest = hashlib.sha256()
    with open(path, "rb") as source, tempfile.SpooledTemporaryFile(max_size=COPY_IN_MEMORY) as copy:
        info = archive.gettarinfo(fileobj=source, arcname=arcname)
        size = 0
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
            copy.write(chunk)
            size += len(chunk)
        info.size = size
        copy.seek(0)
        archive.addfile(info, copy)
    return digest.hexdigest()


def _write_archive(target: Path, database_file: Path) -> int:
    """The tar of the backup: the database, then the files, then the manifest; returns the number of files."""
    db_name = "database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump"
    root = Path(settings.DATA_DIR)
    with tarfile.open(target, "w") as archive:
        members = {db_name: _add_snapshot(archive, database_file, db_name)}
        files = 0
        for relative in _data_files():
            name = FILES_PREFIX + relative.as_posix()
            try:
                members[name] = _add_snapshot(archive, root / relative, name)
            except FileNotFoundError:  # removed meanwhile (a rolled-back upload's cleanup)
                continue
            files += 1
        manifest = json.dumps({"format": BACKUP_FORMAT, "vendor": connection.vendor, "database": db_name,
                               "members": members}, ensure_ascii=False, indent=1).encode("utf-8")
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(manifest), int(time.time()), 0o600
        archive.addfile(info, io.BytesIO(manifest))
    return files


def backup_create(*, actor, output: Path | str | None = None, label: str = "duban") -> Path:
    """Write a full backup (database and files) to ``output`` (default ``DATA_DIR/backups/duban-<time>``) readable
    by the owner only. Event DATA_BACKED_UP, written after the file is complete (so it is not inside the backup)."""
    if not _can_back_up(actor):
        raise PermissionDenied()
    target = Path(output) if output else default_backup_path(label)
    if target.exists():
        raise BackupError(f"文件已存在：{target}", f"the file exists: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    snapshot = target.with_name(target.name + ".db.partial")
    for leftover in (partial, snapshot):
        leftover.unlink(missing_ok=True)
    try:
        snapshot.touch(mode=0o600)
        _write_backup(snapshot)
        partial.touch(mode=0o600)
        files = _write_archive(partial, snapshot)
        os.chmod(partial, 0o600)
        partial.replace(target)  # a backup file either exists whole or not at all
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        snapshot.unlink(missing_ok=True)
    size = target.stat().st_size
    with transaction.atomic(durable=True):
        audit_log(actor=actor, event_type=EventType.DATA_BACKED_UP,
                  extra={"path": str(target), "sha256": _sha256(target), "bytes": size, "vendor": connection.vendor,
                         "files": files})
    return target


def _check_database_file(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if connection.vendor == "sqlite":
        if head != SQLITE_MAGIC:
            raise BackupError("不是 SQLite 备份文件", "not an SQLite backup file")
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()[0]
            has_schema = src.execute("SELECT count(*) FROM sqlite_master WHERE name = 'core_auditevent'").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"备份文件已损坏：{exc}", f"the backup file is damaged: {exc}") from None
        finally:
            src.close()
        if ok != "ok":
            raise BackupError(f"备份文件已损坏：{ok}", f"the backup file is damaged: {ok}")
        if not has_schema:
            raise BackupError("不是 duban 的备份文件", "not a duban backup")
    elif connection.vendor == "postgresql":
        if not head.startswith(PGDUMP_MAGIC):
            raise BackupError("不是 pg_dump -Fc 备份文件", "not a pg_dump custom-format backup")
        _, env = _pg_args()
        _run([pg_tool("pg_restore"), "--list", str(path)], env)


def _unpack(source: Path, into: Path) -> tuple[Path, dict[str, Path]]:
    """Check a backup whole and unpack it into the scratch dir ``into``: the database file, and the data files by
    their path relative to the data dir. A bare database file (older backups) has no files."""
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}", f"no such backup file: {source}")
    if not tarfile.is_tarfile(source):
        _check_database_file(source)
        return source, {}
    damaged = ("备份文件不完整或已损坏", "the backup file is incomplete or damaged")
    try:
        with tarfile.open(source, "r") as archive:
            manifest = json.loads(archive.extractfile(MANIFEST).read())
            if manifest.get("vendor") != connection.vendor:
                raise BackupError(f"备份来自 {manifest.get('vendor')} 数据库，当前为 {connection.vendor}",
                                  f"the backup is of a {manifest.get('vendor')} database, this is {connection.vendor}")
            archive.extractall(into, filter="data")
    except (tarfile.TarError, KeyError, ValueError, AttributeError, OSError):
        raise BackupError(*damaged) from None
    members = manifest.get("members") or {}
    for name, digest in members.items():
        path = into / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"{damaged[0]}：{name}", f"{damaged[1]}: {name}")
    database = into / manifest["database"]
    if manifest["database"] not in members:
        raise BackupError(*damaged)
    _check_database_file(database)
    files = {name[len(FILES_PREFIX):]: into / name for name in members if name.startswith(FILES_PREFIX)}
    return database, files


def _child_env(database_url: str, data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DATABASE_URL=database_url, DUBAN_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="duban.settings")
    return env


# Run in a child process against the scratch copy of a backup: bring its schema to this version, then verify the
# audit chain with the public verify function (whatever the chain's hash is made of, that function knows it).
_VERIFY_CODE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from duban.core.audit import audit_verify
print("BROKEN=" + json.dumps(list(audit_verify())[:20]))
"""


def _pg_url(name: str) -> str:
    cfg = connection.settings_dict
    auth = cfg.get("USER") or ""
    if cfg.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(str(cfg["PASSWORD"]), safe="")
    return f"postgres://{auth}@{cfg.get('HOST') or 'localhost'}:{cfg.get('PORT') or 5432}/{name}"


def _verify_backup_chain(database: Path, scratch: Path, files: dict[str, Path] | None = None) -> None:
    """Restore the backup's database into a scratch database, migrate it and verify its audit chain in a child
    process; ``BackupError`` when any event fails (nothing has been replaced yet). The chain is checked with the
    keys it was made with: ``DUBAN_AUDIT_KEYS`` when configured (inherited), else the key file of the data dir
    the backup was taken from (it travels in the backup), else this data dir's."""
    child_data = scratch / "data"
    child_data.mkdir(exist_ok=True)
    keys = {}
    carried = (files or {}).get("audit_key")
    if carried is not None and not os.environ.get("DUBAN_AUDIT_KEYS"):
        shutil.copyfile(carried, child_data / "audit_key")
    elif not os.environ.get("DUBAN_AUDIT_KEYS"):
        keys["DUBAN_AUDIT_KEYS"] = ",".join(f"{k}:{v}" for k, v in settings.DUBAN_AUDIT_KEYS.items())
    if connection.vendor == "sqlite":
        copy = scratch / "verify.sqlite3"
        shutil.copyfile(database, copy)
        url, cleanup = f"sqlite:///{copy}", None
    else:
        name = f"{connection.settings_dict['NAME']}_restore_check"[:63]
        args, env = _pg_args()
        _run([pg_tool("dropdb"), "--if-exists", *args, name], env)
        _run([pg_tool("createdb"), *args, name], env)
        _run([pg_tool("pg_restore"), "--no-owner", "--single-transaction", *args, "-d", name, str(database)], env)
        url = _pg_url(name)

        def cleanup():
            _run([pg_tool("dropdb"), "--if-exists", *args, name], env)
    try:
        proc = subprocess.run([sys.executable, "-c", _VERIFY_CODE], env={**_child_env(url, child_data), **keys},
                              capture_output=True, text=True, check=False, timeout=3600)
    finally:
        if cleanup:
            cleanup()
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BROKEN=")), None)
    if proc.returncode != 0 or line is None:
        tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:])
        raise BackupError(f"无法校验备份的审计日志：{tail}", f"could not verify the backup's audit trail: {tail}")
    broken = json.loads(line[len("BROKEN="):])
    if broken:
        ids = ", ".join(map(str, broken))
        raise BackupError(f"备份的审计日志校验失败（编号 {ids}），未恢复", f"the backup's audit trail fails verification "
                          f"(events {ids}); nothing was restored")


def database_is_empty() -> bool:
    """True when the database has no duban tables yet (a new data dir or a new PostgreSQL database)."""
    return "core_auditevent" not in connection.introspection.table_names()


def migrate_database() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _refuse_other_sessions() -> None:
    """PostgreSQL: app servers on other hosts are beyond the lock file; any other session connected to the database
    means someone may write during the restore. Sessions of this very process (its other threads, named alike in
    ``duban.settings``) are not another server."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
                       "AND application_name IS DISTINCT FROM current_setting('application_name')")
        others = cursor.fetchone()[0]
    if others:
        raise InstanceRunning(f"数据库还有 {others} 个其他连接；{STOP_HINT_ZH}",
                              f"{others} other sessions are connected to the database; {STOP_HINT_EN}")


def _restore_files(files: dict[str, Path]) -> None:
    """Write the backup's files into the data dir, each through a temporary name and a rename (never half a file)."""
    root = Path(settings.DATA_DIR)
    for relative, unpacked in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(unpacked, temporary)
        os.replace(temporary, target)


def backup_restore(*, actor, source: Path | str) -> dict:
    """Replace the database and the data dir's files by the backup at ``source``. Refuses while a server or worker
    runs; checks the backup whole (members, database file, audit chain) before replacing anything; backs the
    current state up first (``pre-restore-<time>``), so nothing is lost. Event DATA_RESTORED, written into the
    restored database."""
    if not _can_back_up(actor):
        raise PermissionDenied()
    source = Path(source)
    actor_name = actor.username
    with no_instance_running():
        _refuse_other_sessions()
        if database_is_empty():
            migrate_database()
        with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=settings.DATA_DIR) as scratch:
            database, files = _unpack(source, Path(scratch))
            _verify_backup_chain(database, Path(scratch), files)
            source_sha = _sha256(source)
            safety = backup_create(actor=_actor_here(actor_name), label="pre-restore")
            if connection.vendor == "sqlite":
                connection.ensure_connection()
                src = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
                try:
                    src.backup(connection.connection)
                finally:
                    src.close()
            else:
                connections.close_all()
                args, env = _pg_args()
                _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
                      "-d", connection.settings_dict["NAME"], str(database)], env)
                connections.close_all()
            migrate_database()  # a backup of an earlier version gets this version's schema
            _restore_files(files)
        extra = {"source": str(source), "sha256": source_sha, "pre_restore_backup": str(safety),
                 "files": len(files)}
        with transaction.atomic(durable=True):
            audit_log(actor=_actor_here(actor_name), event_type=EventType.DATA_RESTORED, extra=extra)
    return extra


def _actor_here(username: str):
    """The acting user as this database has it (the system actor is made if missing)."""
    from django.contrib.auth import get_user_model

    from duban.core.audit import system_actor

    return get_user_model().objects.filter(username=username).first() or system_actor()


def backup_list() -> list[tuple[Path, int, dt.datetime]]:
    """Backups in ``DATA_DIR/backups``, newest first."""
    if not backup_dir().is_dir():
        return []
    rows = [(p, p.stat().st_size, dt.datetime.fromtimestamp(p.stat().st_mtime, tz=dt.UTC))
            for p in backup_dir().iterdir() if p.is_file() and not p.name.endswith(".partial")]
    return sorted(rows, key=lambda r: r[2], reverse=True)
