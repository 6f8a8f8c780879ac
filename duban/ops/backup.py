"""Whole-database backup and restore: the ``duban backup`` and ``duban restore`` commands.

SQLite is copied with SQLite's online backup API (``sqlite3.Connection.backup``), which takes a consistent snapshot
while the server keeps serving; PostgreSQL with ``pg_dump -Fc`` and ``pg_restore --clean --if-exists
--single-transaction``, so a restore either replaces everything or changes nothing. Before a restore the current
database is itself backed up, so a restore never loses the data it replaces. Both write an audit event.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from duban.core import permissions as perms
from duban.core.audit import SYSTEM_USERNAME, EventType, audit_log
from duban.core.errors import InvalidInput, PermissionDenied
from duban.core.models import Role

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


def backup_create(*, actor, output: Path | str | None = None, label: str = "duban") -> Path:
    """Write a full backup to ``output`` (default ``DATA_DIR/backups/duban-<time>``) readable by the owner only.
    Event DATA_BACKED_UP, written after the file is complete (so it is not inside the backup)."""
    if not _can_back_up(actor):
        raise PermissionDenied()
    target = Path(output) if output else default_backup_path(label)
    if target.exists():
        raise BackupError(f"文件已存在：{target}", f"the file exists: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        partial.touch(mode=0o600)
        _write_backup(partial)
        os.chmod(partial, 0o600)
        partial.replace(target)  # a backup file either exists whole or not at all
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    size = target.stat().st_size
    with transaction.atomic(durable=True):
        audit_log(actor=actor, event_type=EventType.DATA_BACKED_UP,
                  extra={"path": str(target), "sha256": _sha256(target), "bytes": size, "vendor": connection.vendor})
    return target


def _check_backup_file(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}", f"no such backup file: {path}")
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


def backup_restore(*, actor, source: Path | str) -> dict:
    """Replace the whole database by the backup at ``source``. The current database is first backed up
    (``pre-restore-<time>``), so nothing is lost. Event DATA_RESTORED, written into the restored database."""
    if not _can_back_up(actor):
        raise PermissionDenied()
    source = Path(source)
    _check_backup_file(source)
    source_sha = _sha256(source)
    safety = backup_create(actor=actor, label="pre-restore")
    actor_name = actor.username
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            src.backup(connection.connection)
        finally:
            src.close()
    else:
        connections.close_all()
        args, env = _pg_args()
        _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
              "-d", connection.settings_dict["NAME"], str(source)], env)
        connections.close_all()
    # The restored database has its own rows; find the actor again there (the system actor is made if missing).
    from django.contrib.auth import get_user_model

    from duban.core.audit import system_actor

    restored_actor = get_user_model().objects.filter(username=actor_name).first() or system_actor()
    extra = {"source": str(source), "sha256": source_sha, "pre_restore_backup": str(safety)}
    with transaction.atomic(durable=True):
        audit_log(actor=restored_actor, event_type=EventType.DATA_RESTORED, extra=extra)
    return extra


def backup_list() -> list[tuple[Path, int, dt.datetime]]:
    """Backups in ``DATA_DIR/backups``, newest first."""
    if not backup_dir().is_dir():
        return []
    rows = [(p, p.stat().st_size, dt.datetime.fromtimestamp(p.stat().st_mtime, tz=dt.UTC))
            for p in backup_dir().iterdir() if p.is_file() and not p.name.endswith(".partial")]
    return sorted(rows, key=lambda r: r[2], reverse=True)
