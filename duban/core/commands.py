"""Core subcommands: serve, migrate, createadmin, audit."""

from __future__ import annotations

import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="启动网页服务 serve the web UI and API",
                              description="运行数据库迁移，启动网页服务（gunicorn）和催办调度器。")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-scheduler", action="store_true",
                   help="不随服务启动催办调度（另行运行 duban worker） do not start the follow-up loop with the server")
    p.add_argument("--no-migrate", action="store_true")
    p.set_defaults(handler=serve)

    p = subparsers.add_parser("migrate", help="升级数据库结构 apply database migrations")
    p.set_defaults(handler=migrate)

    p = subparsers.add_parser("createadmin", help="创建首个系统管理员 create the first administrator",
                              description="新安装时创建第一个系统管理员账号；已有系统管理员时拒绝（其他账号请在“人员管理”页面添加）。"
                                          "密码在终端输入两次，或用 --password-stdin 从标准输入读取一行。")
    p.add_argument("--username", default="admin", help="账号（默认 admin） the login name")
    p.add_argument("--name", default="系统管理员", help="姓名 display name")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码 read the password from stdin")
    p.set_defaults(handler=createadmin)

    p = subparsers.add_parser("audit", help="审计日志 audit trail tools")
    sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = sub.add_parser("verify", help="校验审计日志哈希链 verify the audit hash chain")
    v.set_defaults(handler=audit_verify)


def migrate(args=None) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return 0


def createadmin(args) -> int:
    from duban.cli import CommandError
    from duban.core.actions import first_admin_create
    from duban.core.errors import DubanError

    migrate()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass("密码 / password: ")
        if getpass.getpass("再次输入 / again: ") != password:
            raise CommandError("两次输入的密码不一致", "the passwords differ")
    else:
        raise CommandError("没有终端可输入密码，请用 --password-stdin", "no terminal for the password; use --password-stdin")
    try:
        user = first_admin_create(username=args.username, password=password, display_name=args.name)
    except DubanError as exc:
        raise CommandError(exc.message_zh, exc.message_en) from None
    print(f"已创建系统管理员 {user.username} / administrator {user.username} created")
    return 0


def serve(args) -> int:
    from duban.core.server import run_server

    if not args.no_migrate:
        migrate()
    return run_server(host=args.host, port=args.port, workers=args.workers, scheduler=not args.no_scheduler)


def audit_verify(args) -> int:
    from duban.core.audit import audit_verify as verify
    from duban.core.models import AuditEvent

    broken = verify()
    total = AuditEvent.objects.count()
    if broken:
        print(f"错误：审计日志有 {len(broken)} 条被篡改（编号 {', '.join(map(str, broken[:20]))}）/ "
              f"error: {len(broken)} audit events fail verification", file=sys.stderr)
        return 1
    print(f"审计日志完整：{total} 条 / audit trail intact: {total} events")
    from django.conf import settings

    if not Path(settings.DUBAN_AUDIT_ANCHOR_FILE).exists():
        print(f"注意：未找到链头锚定文件 {settings.DUBAN_AUDIT_ANCHOR_FILE}，无法核对整表删除或截断 / "
              "note: no anchor file, so deletion or truncation of the whole trail cannot be checked", file=sys.stderr)
    return 0
