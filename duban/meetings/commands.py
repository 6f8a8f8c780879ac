"""`duban import FILE`: a communique (.txt/.docx/.doc/.wps/.rtf/.pdf/.ofd, or a scan or photo, read by OCR) becomes a confirmed-or-draft meeting; a ledger (.xlsx) is
handed to the ledger importer."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

# Files `duban import` hands to an app above this one, by suffix (the ledger's .xlsx, added by the reports app's
# ``register``), so that meetings imports none of them. A handler takes the parsed arguments and returns the exit code.
FILE_IMPORTERS: dict[str, Callable] = {}


def register(subparsers) -> None:
    p = subparsers.add_parser("import", help="导入会议通报或台账 import a communique (.txt .docx .doc .wps .rtf .pdf .ofd, scans) or a ledger (.xlsx)",
                              description="导入会议通报，生成会议和督办事项草稿（以指定用户身份，写入审计日志）。"
                                          ".xlsx 台账交由台账导入处理。")
    p.add_argument("path", metavar="FILE")
    p.add_argument("--user", help="以此用户身份导入（默认：第一个督查室用户）the supervisor to act as")
    p.add_argument("--year", type=int, help="通报未写年份时使用的年份 the year when the text gives none")
    p.add_argument("--confirm", action="store_true", help="导入后立即确认交办 assign all tasks right away")
    p.add_argument("--allow-duplicate", action="store_true", help="同一通报再次导入时仍新建会议")
    p.add_argument("--assign", action="store_true", help="（台账）导入后交办 assign imported ledger rows")
    p.set_defaults(handler=import_file)


def acting_user(username: str | None):
    """The person a command acts as: named, or the first supervisor (then sysadmin). Never anonymous."""
    from django.contrib.auth import get_user_model

    from duban.cli import CommandError
    from duban.core.models import Role

    User = get_user_model()
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"用户不存在：{username}", f"no such active user: {username}")
        return user
    for role in (Role.SUPERVISOR, Role.SYSADMIN):
        user = User.objects.filter(is_active=True, profile__role=role).order_by("id").first()
        if user is not None:
            return user
    raise CommandError("没有督查室用户，请先运行 duban demo 或创建用户", "no supervisor user exists; create one first")


def import_file(args) -> int:
    from duban.cli import CommandError
    from duban.meetings import actions

    path = Path(args.path)
    if not path.is_file():
        raise CommandError(f"文件不存在：{path}", f"no such file: {path}")
    handler = FILE_IMPORTERS.get(path.suffix.lower())
    if handler is not None:
        return handler(args)
    actor = acting_user(args.user)
    extracted, text = actions.extract_upload(data=path.read_bytes(), filename=path.name, year=args.year, ocr=True)
    meeting = actions.meeting_import(actor=actor, extracted=extracted, source_text=text, source_name=path.name,
                                     allow_duplicate=args.allow_duplicate)
    print(f"已导入会议 #{meeting.pk}：{meeting.title}，{meeting.tasks.count()} 项事项（草稿）"
          f" / imported meeting {meeting.pk} with {meeting.tasks.count()} draft tasks")
    note = actions.undated_note(extracted)
    if note is not None:
        # Said, not silently dropped: the clerk sets the year (--year, or the meeting date on its page) and the
        # relative deadlines are dated again.
        print(f"注意：{note[0]}；请用 --year 指定年份，或在会议页面填写会议日期"
              f" / note: {note[1]}; give --year, or set the meeting date on its page", file=sys.stderr)
    if args.confirm:
        actions.meeting_confirm(actor=actor, meeting_id=meeting.pk)
        print("已确认交办 / confirmed and assigned")
    return 0
