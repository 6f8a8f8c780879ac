"""`duban demo`: the demo's meeting, units and people, then the server."""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="载入演示数据并启动服务 load the demo and serve",
                              description="迁移数据库、载入演示会议、单位和用户，打印演示账号，然后启动服务。")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="只载入数据，不启动服务 load only")
    p.set_defaults(handler=demo)


def demo(args) -> int:
    from duban.core.commands import migrate
    from duban.demo.loader import DEMO_PASSWORD, load_demo

    migrate()
    summary = load_demo()
    print("演示数据已就绪 / demo data ready:", summary.describe())
    print("演示账号（首次登录须修改密码）/ demo logins (each must set a new password at first login):")
    width = max(len(username) for username, _, _ in summary.logins)
    for username, role, unit in summary.logins:
        print(f"  {username:<{width}}  {DEMO_PASSWORD}  {role}{'  ' + unit if unit else ''}")
    if args.no_serve:
        return 0
    print(f"打开 / open http://{args.host}:{args.port}/", flush=True)
    from duban.core.server import run_server

    return run_server(host=args.host, port=args.port, workers=2, scheduler=True)
