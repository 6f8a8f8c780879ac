"""`duban seed-bench`: a synthetic province-scale database for benchmarks (see duban.perf.seed)."""

from __future__ import annotations

import os
import sys
import time


def register(subparsers) -> None:
    """Add this package's subcommands."""
    p = subparsers.add_parser(
        "seed-bench", help="生成基准测试数据 build a synthetic benchmark database",
        description="在一个新数据库中生成全省规模的模拟数据：300个单位、250次会议、N个督办事项、5N条进展报告、"
                    "10N条审计日志（哈希链有效）。仅用于性能测试。")
    p.add_argument("--tasks", type=int, default=100_000, help="督办事项数 number of tasks (default 100000)")
    p.add_argument("--database-url", default=None,
                   help="目标数据库 target database (default: DATABASE_URL or the SQLite file in DUBAN_DATA_DIR)")
    p.add_argument("--no-migrate", action="store_true", help="不先运行迁移 skip migrations")
    p.add_argument("--seed", type=int, default=20261125, help="随机种子 random seed")
    p.add_argument("--subtasks", type=int, default=0, metavar="N",
                   help="分解下达：每次分解为N个子任务（先到区县，再到其乡镇），计入--tasks "
                        "split tasks into N sub-tasks each (to the counties, then their townships), counted in --tasks")
    p.add_argument("--depth", type=int, default=2, choices=(1, 2),
                   help="分解层级：1 区县，2 区县及乡镇 levels of sub-tasks: 1 counties, 2 and their townships (default 2)")
    p.add_argument("--split-share", type=float, default=0.2, metavar="SHARE",
                   help="被分解的顶层事项比例 share of the top-level tasks split (default 0.2)")
    p.set_defaults(handler=seed_bench, needs_django=False)


def seed_bench(args) -> int:
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    from duban.cli import CommandError, setup_django

    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from duban.perf.seed import seed

    if args.tasks < 1:
        raise CommandError("--tasks 必须大于0", "--tasks must be positive")
    if args.subtasks < 0 or not 0 <= args.split_share <= 1:
        raise CommandError("--subtasks 不能为负，--split-share 须在0到1之间",
                           "--subtasks must not be negative, --split-share must lie within [0, 1]")
    t0 = time.perf_counter()
    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
        print(f"  migrate: {time.perf_counter() - t0:.1f}s", flush=True)
    print(f"生成基准数据 / seeding {args.tasks} tasks on {connection.vendor} ...", flush=True)
    summary = seed(tasks=args.tasks, seed_value=args.seed, out=sys.stdout, subtasks=args.subtasks, depth=args.depth,
                   split_share=args.split_share)
    print(f"完成 / done: {summary.describe()}", flush=True)
    return 0
