"""`duban report`, `duban export` and `duban import-ledger`: thin shells over reporting's actions.

Reads need a viewer, and the system actor is not one (it sees nothing): these commands act as ``--user``, by
default the first supervisor (then sysadmin), exactly like ``duban import``. Each run is audited as that person.
"""

from __future__ import annotations

import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="生成会议决定事项落实情况通报 write the briefing for a meeting",
                              description="生成“关于X月X日…会议决定事项落实情况的通报”（.docx；装有 LibreOffice 时可输出 .pdf）。"
                                          "以 --user 指定的用户身份读取（默认：第一个督查室用户，其次系统管理员）。")
    p.add_argument("--meeting", type=int, required=True, metavar="ID", help="会议编号 meeting id")
    p.add_argument("--format", choices=["docx", "pdf"], default="docx", help="输出格式 output format")
    p.add_argument("--output", metavar="FILE", help="输出文件（默认 briefing-ID.docx；- 为标准输出）")
    p.add_argument("--issue", action="store_true",
                   help="正式生成并取发文字号（默认只生成不编号的草稿预览） issue it with its number (default: a draft)")
    p.add_argument("--user", metavar="USERNAME", help="以此用户身份读取 the office user to read as")
    p.set_defaults(handler=report)

    p = subparsers.add_parser("circular", help="生成督查通报 write the 督查通报 on overdue items and the ranking",
                              description="生成督查通报（逾期未办结事项和单位考评排名，GB/T 9704 公文格式）。")
    p.add_argument("--format", choices=["docx", "pdf"], default="docx")
    p.add_argument("--output", metavar="FILE", help="输出文件（默认 circular.docx；- 表示标准输出）")
    p.add_argument("--user", metavar="USERNAME", help="以此督查室用户身份生成（默认：第一个督查室用户）")
    p.set_defaults(handler=circular)

    p = subparsers.add_parser("urge", help="生成催办单 write the 催办单 of a task",
                              description="生成某一督办事项的催办单（GB/T 9704 公文格式，.docx）。")
    p.add_argument("--task", type=int, required=True, metavar="ID", help="事项编号")
    p.add_argument("--output", metavar="FILE", help="输出文件（默认 urge-ID.docx；- 表示标准输出）")
    p.add_argument("--user", metavar="USERNAME", help="以此督查室用户身份生成（默认：第一个督查室用户）")
    p.set_defaults(handler=urge)

    p = subparsers.add_parser("export", help="导出督办台账 export the task ledger as .xlsx",
                              description="按条件导出督办事项台账（.xlsx，默认列见 DUBAN_LEDGER_COLUMNS；含任务编号，"
                                          "修改后可重新导入以更新事项）。只导出 --user 可见的事项。")
    p.add_argument("--status", help="状态，如 assigned、in_progress、closed")
    p.add_argument("--area", type=int, metavar="ID", help="工作领域编号")
    p.add_argument("--unit", type=int, metavar="ID", help="单位编号（牵头或配合）")
    p.add_argument("--meeting", type=int, metavar="ID", help="会议编号")
    p.add_argument("--overdue", action="store_true", help="只导出逾期事项")
    p.add_argument("--per-meeting", action="store_true", help="每个会议一个工作表（默认：一个工作表，含来源会议列）")
    p.add_argument("--columns", metavar="列,列", help="导出的列，逗号分隔（默认：DUBAN_LEDGER_COLUMNS 或全部列）")
    p.add_argument("--output", metavar="FILE.xlsx", required=True, help="输出文件")
    p.add_argument("--user", metavar="USERNAME", help="以此用户身份导出（默认：第一个督查室用户）")
    p.set_defaults(handler=export)

    p = subparsers.add_parser("import-ledger", help="导入 Excel 督办台账 import an .xlsx ledger as draft tasks",
                              description="把已有的 Excel 台账导入为草稿事项：全部行无误才导入；重复导入不会重复创建。"
                                          "带任务编号的行（导出后修改的台账）更新对应事项，不能办理的修改逐行说明原因。")
    p.add_argument("path", metavar="FILE.xlsx")
    p.add_argument("--user", metavar="USERNAME", help="以此督查室用户身份导入（默认：第一个督查室用户）")
    p.add_argument("--assign", action="store_true", help="导入后立即交办 assign the new tasks")
    p.add_argument("--dry-run", action="store_true", help="只检查不导入 check only")
    p.set_defaults(handler=import_ledger)
    from duban.meetings.commands import FILE_IMPORTERS

    FILE_IMPORTERS[".xlsx"] = _import_ledger_file  # `duban import 台账.xlsx` does what `duban import-ledger` does


def _import_ledger_file(args) -> int:
    args.dry_run = False
    return import_ledger(args)


def _actor(username):
    from duban.meetings.commands import acting_user

    return acting_user(username)


def _write(content: bytes, output: str) -> None:
    if output == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    else:
        Path(output).write_bytes(content)


def _document(content: bytes, output: str, name: str, english: str) -> int:
    _write(content, output)
    if output != "-":
        print(f"已生成{name}：{output} / {english} written to {output}")
    return 0


def report(args) -> int:
    from duban.reports.actions import briefing_export

    content = briefing_export(actor=_actor(args.user), meeting_id=args.meeting, fmt=args.format, issue=args.issue)
    return _document(content, args.output or f"briefing-{args.meeting}.{args.format}", "通报", "briefing")


def circular(args) -> int:
    from duban.reports.actions import circular_export

    content = circular_export(actor=_actor(args.user), fmt=args.format)
    return _document(content, args.output or f"circular.{args.format}", "督查通报", "circular")


def urge(args) -> int:
    from duban.followup.actions import urge_slip_export

    content = urge_slip_export(actor=_actor(args.user), task_id=args.task)
    return _document(content, args.output or f"urge-{args.task}.docx", "催办单", "urge slip")


def export(args) -> int:
    from duban.reports.actions import ledger_export

    filters = {"status": args.status, "area_id": args.area, "unit_id": args.unit, "meeting_id": args.meeting,
               "overdue": True if args.overdue else None}
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    content = ledger_export(actor=_actor(args.user), filters=filters, per_meeting=args.per_meeting, columns=columns)
    _write(content, args.output)
    if args.output != "-":
        print(f"已导出台账：{args.output} / ledger written to {args.output}")
    return 0


def import_ledger(args) -> int:
    from duban.cli import CommandError
    from duban.core.errors import InvalidInput
    from duban.reports.actions import ledger_import

    path = Path(args.path)
    if not path.is_file():
        raise CommandError(f"文件不存在：{path}", f"no such file: {path}")
    try:
        result = ledger_import(actor=_actor(args.user), data=path.read_bytes(), filename=path.name,
                               assign=args.assign, dry_run=args.dry_run)
    except InvalidInput as exc:
        for item in exc.details or []:
            where = f"第{item['row']}行" if item["row"] else "文件"
            column = f"「{item['column']}」" if item["column"] else ""
            print(f"{where}{column}：{item['message']}", file=sys.stderr)
        raise
    for update in result.updates:
        changed = "；".join(f"{c['column']}：{c['old']} → {c['new']}" for c in update["changes"])
        print(f"第{update['row']}行：{changed}")
    for refusal in result.refused:
        print(str(refusal), file=sys.stderr)
    print(result.describe())
    return 0
