"""`duban backup` and `duban restore`, registered by duban.cli."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    """Add this package's subcommands."""
    p = subparsers.add_parser("backup", help="备份数据库 back up the database",
                              description="把整个数据库和数据目录中的文件（附件、佐证材料、督办通知单）备份到一个 tar "
                                          "文件（默认在 数据目录/backups/ 下，带时间戳）。服务运行时也可备份。")
    p.add_argument("--output", "-o", metavar="PATH", help="备份文件路径 where to write the backup")
    p.set_defaults(handler=backup)

    p = subparsers.add_parser("restore", help="从备份恢复数据库 restore the database from a backup",
                              description="用备份文件替换整个数据库并写回其中的文件。须先停止本数据目录的 duban serve 和 "
                                          "duban worker（运行时拒绝恢复）；空数据库先自动迁移；替换前先校验备份的审计"
                                          "日志，校验失败则不恢复；恢复前会自动把当前数据另存为 pre-restore 备份。"
                                          "在终端中会要求输入 yes 确认，非交互运行须加 --yes。")
    p.add_argument("path", metavar="PATH", help="备份文件 the backup file")
    p.add_argument("--yes", action="store_true",
                   help="不在终端询问确认（非交互运行时必需） do not ask for confirmation (required without a terminal)")
    p.set_defaults(handler=restore)


def backup(args) -> int:
    from duban.core.audit import system_actor
    from duban.ops.backup import backup_create

    path = backup_create(actor=system_actor(), output=args.output)
    print(f"已备份到 / backed up to {path} ({path.stat().st_size} bytes)")
    return 0


def restore(args) -> int:
    from duban.cli import CommandError
    from duban.core.audit import system_actor
    from duban.core.running import no_instance_running
    from duban.ops.backup import backup_restore, database_is_empty, migrate_database

    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("恢复会替换整个数据库；请加 --yes 确认",
                               "a restore replaces the whole database; pass --yes to confirm")
        answer = input(f"用 {args.path} 替换整个数据库？输入 yes 确认 / replace the whole database? type yes: ")
        if answer.strip().lower() != "yes":
            print("已取消 / cancelled")
            return 1
    with no_instance_running():
        if database_is_empty():  # a new data dir: the restore's own bookkeeping needs the tables
            migrate_database()
    result = backup_restore(actor=system_actor(), source=args.path)
    print(f"已恢复 / restored from {result['source']}")
    print(f"恢复前的数据已另存为 / the data before the restore is kept in {result['pre_restore_backup']}")
    return 0
