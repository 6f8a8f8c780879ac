"""`duban remind` (one pass, or what it would send) and `duban worker` (the follow-up loop in the foreground)."""

from __future__ import annotations

import datetime as dt


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD / expected YYYY-MM-DD: {value}") from None


def register(subparsers) -> None:
    p = subparsers.add_parser("remind", help="运行一次催办 run one reminder pass",
                              description="按红黄蓝灯运行一次催办、预警和督办，并投递待发消息。"
                                          "催办只在工作日进行（按国务院节假日安排，含调休上班日）。"
                                          "--dry-run 只列出现在会发送的内容，不写入任何数据。")
    p.add_argument("--dry-run", action="store_true", help="只列出，不发送不写入 list only, write nothing")
    p.add_argument("--today", type=_date, default=None, help="按此日期评估 evaluate as of YYYY-MM-DD")
    p.set_defaults(handler=remind)

    p = subparsers.add_parser("worker", help="前台运行催办调度 run the follow-up loop in the foreground",
                              description="每隔一段时间评估红黄蓝灯、发送催办并投递消息（邮件、企业微信、钉钉）。"
                                          "可同时运行多个 worker，数据库保证不重复发送。")
    p.add_argument("--interval", type=float, default=None, help="间隔秒数 seconds between passes "
                                                                "(default DUBAN_SCHEDULER_INTERVAL)")
    p.add_argument("--once", action="store_true", help="只运行一轮 run one pass and exit")
    p.set_defaults(handler=worker)


STAGE_NAMES = {"remind": "催办提醒", "warn": "预警", "escalate": "督办"}


def remind(args) -> int:
    from django.utils import timezone

    from duban.followup.reminders import reminders_due_on, reminders_plan
    from duban.followup.scheduler import run_pass

    today = args.today or timezone.localdate()
    if not reminders_due_on(today):
        print(f"{today.isoformat()} 不是工作日，不发送催办 / not a working day: no reminder steps are taken")
    if args.dry_run:
        plan = reminders_plan(today=today)
        for step in plan:
            print(f"{step.task_id}\t{step.light}\t{STAGE_NAMES[step.stage]}\t{step.unit}\t{step.task_title}\t"
                  f"{step.reason}")
        print(f"共 {len(plan)} 项待发送（未写入）/ {len(plan)} steps would be taken (dry run, nothing written)")
        return 0
    from duban.core.running import instance_running

    with instance_running():
        result = run_pass(today=today)
    print(f"催办 {result.reminders} 项，排队 {result.queued} 条，投递 {result.delivered} / "
          f"{result.reminders} steps taken, {result.queued} deliveries queued, delivered {result.delivered}")
    return 0


def worker(args) -> int:
    from django.conf import settings

    from duban.followup.scheduler import run_loop

    interval = settings.DUBAN_SCHEDULER_INTERVAL if args.interval is None else args.interval
    print(f"催办调度已启动，每 {interval:g} 秒一轮 / follow-up worker running every {interval:g} s", flush=True)
    from duban.core.running import instance_running

    with instance_running():
        run_loop(interval=max(interval, 1), max_passes=1 if args.once else None)
    return 0
