"""The audit trail: stable event numbers and the one function that appends a row.

Numbers are banded per entity (1xx users, 2xx units, 3xx meetings, 4xx tasks, 5xx progress reports, 6xx data
operations, 7xx notifications); a number is never renumbered or reused. ``docs/audit-events.md`` explains each, and a
test fails when one is undocumented or emitted by no action test.
"""

from __future__ import annotations

import datetime as dt
import enum
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from duban.core.anchor import anchor_on_commit, anchors
from duban.core.models import AuditChainHead, AuditEvent, UnknownAuditKey, event_digest


class EventType(enum.IntEnum):
    USER_LOGGED_IN = 101
    USER_LOGIN_FAILED = 102
    USER_LOGGED_OUT = 103
    USER_PASSWORD_CHANGED = 104
    USER_CREATED = 105
    API_TOKEN_CREATED = 106
    API_TOKEN_REVOKED = 107
    USER_LOGIN_FAILURES = 108
    # 120-139 administration of people (duban.core.actions)
    USER_UPDATED = 120
    USER_MOVED = 121
    USER_DEACTIVATED = 122
    USER_REACTIVATED = 123
    USER_PASSWORD_RESET = 124
    USER_UNLOCKED = 125
    USERS_IMPORTED = 126
    USER_DIRECTORY_SYNCED = 127

    UNIT_CREATED = 201
    # 202-219 administration of the unit tree (duban.core.actions)
    UNIT_RENAMED = 202
    UNIT_MERGED = 203
    UNIT_DEACTIVATED = 204
    UNIT_UPDATED = 205
    UNITS_IMPORTED = 206
    # 220-229 administration of the work areas (duban.core.actions)
    AREA_CREATED = 220
    AREA_RENAMED = 221
    AREA_DEACTIVATED = 222
    AREA_REACTIVATED = 223

    MEETING_IMPORTED = 301
    MEETING_CONFIRMED = 302
    MEETING_DATE_CHANGED = 303
    MEETING_UPDATED = 304
    MEETING_WITHDRAWN = 310
    SCAN_QUEUED = 311
    SCAN_RECOGNISED = 312
    SCAN_FAILED = 313
    SCAN_CANCELLED = 314
    SCAN_IMPORTED = 315
    # 330-339 levels of supervision (duban.tasks): 分解下达 and the roll-up's sign-off
    TASK_DECOMPOSED = 330
    SUBTASK_ISSUED = 331
    TASK_CLOSED_OVER_OPEN_SUBTASKS = 332

    TASK_CREATED = 401
    TASK_UPDATED = 402
    TASK_MERGED = 403
    TASK_SPLIT = 404
    TASK_WITHDRAWN = 405
    TASK_ASSIGNED = 406
    TASK_ACCEPTED = 407
    TASK_DECLINED = 408
    TASK_CLOSE_REQUESTED = 409
    TASK_CLOSED = 410
    TASK_CLOSE_RETURNED = 411
    TASK_REASSIGNED = 412
    TASK_DEADLINE_ADJUSTED = 413

    # 420-449 follow-up (duban.followup): reminders, escalation, extensions, completion evidence
    TASK_REMINDED = 420
    TASK_WARNED = 421
    TASK_ESCALATED = 422
    TASK_EXTENSION_REQUESTED = 423
    TASK_EXTENSION_APPROVED = 424
    TASK_EXTENSION_REJECTED = 425
    TASK_CLOSE_EVIDENCE_ADDED = 426
    DELIVERY_RETRIED = 430
    TASK_COMMENTED = 436
    TASK_WATCHED = 437
    TASK_UNWATCHED = 438
    TASK_DEADLINE_CHANGE_CONFIRMED = 439
    REMINDER_UNDELIVERED = 440
    TASK_URGED = 431
    TASK_NOTICE_ISSUED = 432

    # 450-469 evaluation (duban.reports)
    TASK_SCORED = 451
    SCORE_RULES_CHANGED = 452
    SCORE_ADJUSTED = 453
    DOCUMENT_SETTINGS_CHANGED = 454

    REPORT_SUBMITTED = 501
    REPORT_ACCEPTED = 502
    REPORT_RETURNED = 503
    CLOSE_EVIDENCE_RULE_SET = 504

    # 600-609 backup and restore (duban.ops)
    DATA_BACKED_UP = 600
    DATA_RESTORED = 601

    # 610-619 ledger, briefing and calendar-feed data operations (duban.reports)
    LEDGER_IMPORTED = 610
    LEDGER_EXPORTED = 611
    BRIEFING_EXPORTED = 612
    CALENDAR_TOKEN_ROTATED = 613
    CIRCULAR_EXPORTED = 614
    URGE_SLIP_EXPORTED = 615

    # 700-719 notification delivery outcomes (duban.followup.delivery)
    DELIVERY_SENT = 701
    DELIVERY_FAILED = 702
    DELIVERY_GAVE_UP = 703

    # 640-649 the responsibility list (duban.meetings)
    RESPONSIBILITY_LIST_CHANGED = 640
    RESPONSIBILITY_LIST_EXPORTED = 641

    # 8xx other sources (duban.sources): instructions, inspection cases, livelihood projects, hazards, attachments
    INSTRUCTION_CREATED = 801
    INSTRUCTION_TASK_ADDED = 802
    CASE_CREATED = 811
    CASE_RECTIFICATION_RECORDED = 812
    LIVELIHOOD_CREATED = 821
    LIVELIHOOD_ACTUAL_RECORDED = 822
    LIVELIHOOD_TARGET_CHANGED = 823
    HAZARD_FOUND = 831
    HAZARD_RECTIFIED = 832
    HAZARD_REVIEWED = 833
    HAZARD_REVIEW_FAILED = 834
    HAZARD_CLOSED = 835
    ATTACHMENT_UPLOADED = 841
    TASK_DEADLINE_CHANGE_DECLINED = 842
    USER_CONTACT_UPDATED = 843


# Each event in the office's words: the history of a task, exports and anything else a person reads show these,
# never the English names (a test keeps every member labelled).
EVENT_LABELS = {
    EventType.USER_LOGGED_IN: "登录",
    EventType.USER_LOGIN_FAILED: "登录失败",
    EventType.USER_LOGGED_OUT: "退出登录",
    EventType.USER_PASSWORD_CHANGED: "修改密码",
    EventType.USER_CREATED: "新增用户",
    EventType.API_TOKEN_CREATED: "创建接口令牌",
    EventType.UNIT_CREATED: "新增单位",
    EventType.MEETING_IMPORTED: "导入会议",
    EventType.MEETING_CONFIRMED: "确认交办",
    EventType.TASK_CREATED: "立项",
    EventType.TASK_UPDATED: "修改",
    EventType.TASK_MERGED: "合并",
    EventType.TASK_SPLIT: "拆分",
    EventType.TASK_DECOMPOSED: "分解下达",
    EventType.SUBTASK_ISSUED: "下达子任务",
    EventType.TASK_CLOSED_OVER_OPEN_SUBTASKS: "子任务未办结时办结",
    EventType.TASK_WITHDRAWN: "撤销",
    EventType.TASK_ASSIGNED: "交办",
    EventType.TASK_ACCEPTED: "签收",
    EventType.TASK_DECLINED: "退回交办",
    EventType.TASK_CLOSE_REQUESTED: "申请办结",
    EventType.TASK_CLOSED: "办结销号",
    EventType.TASK_CLOSE_RETURNED: "办结申请被退回",
    EventType.TASK_REASSIGNED: "改派",
    EventType.TASK_DEADLINE_ADJUSTED: "调整时限",
    EventType.TASK_REMINDED: "催办提醒",
    EventType.TASK_WARNED: "督办预警",
    EventType.TASK_ESCALATED: "超期督办",
    EventType.TASK_EXTENSION_REQUESTED: "申请延期",
    EventType.TASK_EXTENSION_APPROVED: "批准延期",
    EventType.TASK_EXTENSION_REJECTED: "不予延期",
    EventType.TASK_CLOSE_EVIDENCE_ADDED: "补充办结佐证",
    EventType.DELIVERY_RETRIED: "重发通知",
    EventType.TASK_URGED: "督查室催办",
    EventType.TASK_NOTICE_ISSUED: "下发督办通知单",
    EventType.TASK_SCORED: "办结评分",
    EventType.REPORT_SUBMITTED: "报送进展",
    EventType.REPORT_ACCEPTED: "采纳进展",
    EventType.REPORT_RETURNED: "退回进展",
    EventType.DATA_BACKED_UP: "数据备份",
    EventType.DATA_RESTORED: "数据恢复",
    EventType.LEDGER_IMPORTED: "导入台账",
    EventType.LEDGER_EXPORTED: "导出台账",
    EventType.BRIEFING_EXPORTED: "导出通报",
    EventType.CALENDAR_TOKEN_ROTATED: "更新日历订阅",
    EventType.INSTRUCTION_CREATED: "登记领导批示",
    EventType.INSTRUCTION_TASK_ADDED: "批示新增任务",
    EventType.CASE_CREATED: "登记督察交办件",
    EventType.CASE_RECTIFICATION_RECORDED: "填报整改情况",
    EventType.LIVELIHOOD_CREATED: "登记民生实事",
    EventType.LIVELIHOOD_ACTUAL_RECORDED: "填报月度完成值",
    EventType.LIVELIHOOD_TARGET_CHANGED: "调整目标值",
    EventType.HAZARD_FOUND: "发现隐患",
    EventType.HAZARD_RECTIFIED: "隐患整改",
    EventType.HAZARD_REVIEWED: "复查通过",
    EventType.HAZARD_REVIEW_FAILED: "复查未通过",
    EventType.HAZARD_CLOSED: "隐患销号",
    EventType.ATTACHMENT_UPLOADED: "上传附件",
    EventType.API_TOKEN_REVOKED: "停用接口令牌",
    EventType.USER_LOGIN_FAILURES: "多次登录失败",
    EventType.USER_UPDATED: "修改人员信息",
    EventType.USER_MOVED: "人员调动",
    EventType.USER_DEACTIVATED: "停用账号",
    EventType.USER_REACTIVATED: "恢复账号",
    EventType.USER_PASSWORD_RESET: "重置密码",
    EventType.USER_UNLOCKED: "解除锁定",
    EventType.USERS_IMPORTED: "批量导入人员",
    EventType.USER_DIRECTORY_SYNCED: "统一身份同步",
    EventType.UNIT_RENAMED: "单位更名",
    EventType.UNIT_MERGED: "单位合并",
    EventType.UNIT_DEACTIVATED: "停用单位",
    EventType.UNIT_UPDATED: "修改单位信息",
    EventType.UNITS_IMPORTED: "批量导入单位",
    EventType.AREA_CREATED: "添加工作领域",
    EventType.AREA_RENAMED: "工作领域更名",
    EventType.AREA_DEACTIVATED: "停用工作领域",
    EventType.AREA_REACTIVATED: "恢复工作领域",
    EventType.MEETING_DATE_CHANGED: "修改会议日期",
    EventType.MEETING_UPDATED: "修改会议信息",
    EventType.MEETING_WITHDRAWN: "撤销导入",
    EventType.SCAN_QUEUED: "扫描件待识别",
    EventType.SCAN_RECOGNISED: "扫描件识别完成",
    EventType.SCAN_FAILED: "扫描件识别失败",
    EventType.SCAN_CANCELLED: "取消识别",
    EventType.SCAN_IMPORTED: "扫描件导入",
    EventType.TASK_COMMENTED: "领导批示",
    EventType.TASK_WATCHED: "重点关注",
    EventType.TASK_UNWATCHED: "取消重点关注",
    EventType.TASK_DEADLINE_CHANGE_CONFIRMED: "确认批示时限",
    EventType.REMINDER_UNDELIVERED: "催办无人接收",
    EventType.SCORE_RULES_CHANGED: "修改考评规则",
    EventType.SCORE_ADJUSTED: "考评加减分",
    EventType.DOCUMENT_SETTINGS_CHANGED: "修改公文设置",
    EventType.CLOSE_EVIDENCE_RULE_SET: "设置办结佐证要求",
    EventType.CIRCULAR_EXPORTED: "生成督查通报",
    EventType.URGE_SLIP_EXPORTED: "生成催办单",
    EventType.DELIVERY_SENT: "消息已送达",
    EventType.DELIVERY_FAILED: "消息发送失败",
    EventType.DELIVERY_GAVE_UP: "消息发送放弃",
    EventType.RESPONSIBILITY_LIST_CHANGED: "修改职责清单",
    EventType.RESPONSIBILITY_LIST_EXPORTED: "导出职责清单",
    EventType.TASK_DEADLINE_CHANGE_DECLINED: "未采纳批示时限",
    EventType.USER_CONTACT_UPDATED: "修改消息接收设置",
}


def event_label(event_type: int) -> str:
    """The Chinese name of an event type (its number for a type this version does not know)."""
    try:
        return EVENT_LABELS[EventType(event_type)]
    except (ValueError, KeyError):
        return f"事件 {event_type}"


SYSTEM_USERNAME = "duban-system"


def system_actor():
    """The named actor of scheduled work and of set-up; it cannot log in. The audit trail has no anonymous rows."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=SYSTEM_USERNAME, defaults={"is_active": False,
                                                                             "first_name": "系统"})
    return user


def _event_row(*, actor, event_type: EventType, unit=None, target_user=None, target_unit=None, meeting=None,
               task=None, report=None, extra: dict | None = None, ip_address: str | None = None,
               created_at=None) -> AuditEvent:
    """An unsaved event with its values as the database will give them back, or verify would flag the row:
    UTC time, a normalized IP address, and JSON as JSON stores it (tuples become lists, keys strings)."""
    if unit is None and actor is not None and hasattr(actor, "profile"):
        unit = actor.profile.unit
    created_at = (created_at or timezone.now()).astimezone(dt.timezone.utc)
    ip_address = AuditEvent._meta.get_field("ip_address").get_prep_value(ip_address or None)
    extra = json.loads(json.dumps(extra or {}, ensure_ascii=False))
    return AuditEvent(event_type=int(event_type), created_at=created_at, actor=actor, unit=unit,
                      target_user=target_user, target_unit=target_unit, meeting=meeting, task=task, report=report,
                      extra=extra, ip_address=ip_address, key_id=settings.DUBAN_AUDIT_KEY_ID)


def _locked_head() -> AuditChainHead:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events must be written inside an action's transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def audit_log(*, actor, event_type: EventType, unit=None, target_user=None, target_unit=None, meeting=None,
              task=None, report=None, extra: dict | None = None, ip_address: str | None = None,
              created_at=None) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction (every action has one), so the row
    exists exactly when the change does."""
    head = _locked_head()
    event = _event_row(actor=actor, event_type=event_type, unit=unit, target_user=target_user,
                       target_unit=target_unit, meeting=meeting, task=task, report=report, extra=extra,
                       ip_address=ip_address, created_at=created_at)
    event.prev_hash = head.last_hash
    event.save(force_insert=True)
    event.chain_hash = event.content_digest(head.last_hash)
    AuditEvent.objects.filter(pk=event.pk).update(chain_hash=event.chain_hash)
    head.last_event_id = event.pk
    head.last_hash = event.chain_hash
    head.save(update_fields=["last_event_id", "last_hash"])
    anchor_on_commit(event.pk, event.chain_hash, restored=event.event_type == EventType.DATA_RESTORED)
    return event


def reserve_ids_in_txn(model, count: int) -> list[int]:
    """``count`` new primary keys of ``model``'s table, for rows inserted with them by ``insert_rows_in_txn`` in
    the same transaction (PostgreSQL: from the sequence; SQLite: above the highest ever, the write lock held).
    Audit events take theirs while the chain head is locked, so they follow every earlier event; the hash covers
    the id, so knowing ids before the insert saves rewriting every row after it."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite: AUTOINCREMENT keeps its high-water mark in sqlite_sequence; explicit ids above it advance it.
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
        return list(range(start, start + count))


# Field types whose plain str/int/bool/None values go to the database as they are (what their get_db_prep_save
# returns for such values on SQLite and PostgreSQL alike); every other value is prepared by its field.
_PLAIN_FIELD_TYPES = {"AutoField", "BigAutoField", "CharField", "TextField", "IntegerField", "BigIntegerField",
                      "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
                      "PositiveBigIntegerField", "BooleanField", "ForeignKey", "OneToOneField"}


def _sqlite_max_params(db) -> int:
    """Parameters one SQLite statement may hold: the library's compiled-in limit, read from the connection (32766
    since 3.32, 999 before; Django assumes 999)."""
    import sqlite3

    db.ensure_connection()
    return db.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def insert_rows_in_txn(model, objs, *, batch_size: int = 2000) -> None:
    """INSERT rows whose primary keys are already set (reserved ids) in multi-row statements of up to
    ``batch_size`` rows (as many as the database's parameter limit allows). A row is a model instance, or a plain
    dict of column values by attname (no model object to build: for imports of thousands of rows); a column missing
    from a dict takes its field's default.
    ``bulk_create`` compiles a multi-row statement per 35 to 66 rows on SQLite (999 parameters) and prepares every
    value through its field; here a plain str/int/bool/None value of a text, number or key column is passed as it
    is, and every other value (dates, times, JSON, IP addresses) is prepared by its field's ``get_db_prep_save`` as
    ``bulk_create`` would; auto_now fields take the current time (also in dicts, which are updated with it)."""
    if not objs:
        return
    db = transaction.get_connection()  # the wrapper itself: the ``connection`` proxy costs a lookup per use
    fields = model._meta.concrete_fields
    now = timezone.now()
    for field in fields:  # one time for the whole insert (bulk_create takes one per row, microseconds apart)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                if type(obj) is dict:
                    obj[field.attname] = now
                else:
                    setattr(obj, field.attname, now)
    if any(type(obj) is dict for obj in objs):
        missing = {}  # attname → (constant default, callable default)
        for field in fields:
            if field.has_default() and callable(field.default):
                missing[field.attname] = (None, field.get_default)
            else:
                missing[field.attname] = (field.get_default(), None)
        for obj in objs:
            if type(obj) is dict and len(obj) < len(fields):
                for name, (constant, factory) in missing.items():
                    if name not in obj:
                        obj[name] = factory() if factory else constant
    quote = db.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    plain = (str, int, bool, type(None))
    columns = [(f.attname, f.get_internal_type() in _PLAIN_FIELD_TYPES, f) for f in fields]
    prepared: dict = {}  # (column, type, value) → database value, for the values that repeat (dates, the time)

    def prepare(field, value):
        try:
            key = (field.attname, type(value), value)
            if key in prepared:
                return prepared[key]
        except TypeError:  # unhashable (JSON): prepared each time
            return field.get_db_prep_save(value, db)
        result = prepared[key] = field.get_db_prep_save(value, db)
        return result

    params = []
    for obj in objs:
        values = obj if type(obj) is dict else obj.__dict__
        params.append([value if direct and type(value) in plain else prepare(field, value)
                       for name, direct, field in columns for value in (values[name],)])
    head = sql[:sql.index(" VALUES ")]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # COPY: psycopg parses a statement's placeholders in Python and does not cache statements of tens of
            # thousands of them, most of the CPU of a 10 000-row import; COPY sends the rows, adapted as
            # parameters are, with no placeholder at all. It fires the table's triggers and takes part in the
            # transaction like an INSERT.
            with cursor.cursor.copy(f"COPY {head[len('INSERT INTO '):]} FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        else:
            # SQLite: multi-row statements. A statement per row (``executemany`` of the one-row INSERT) pays the per-
            # statement work of the table's triggers on every row: the search index's FTS5 trigger makes 10 000 tasks
            # cost 2.2 s of CPU that way, 0.6 s in statements of 1000 rows. Each statement goes through ``executemany``
            # with its one parameter row: with DEBUG on, Django's ``execute`` logs the query with every parameter quoted
            # (a SELECT per 999 of them), seconds for 10 000 rows; ``executemany`` logs the statement as it is.
            per = max(1, min(batch_size, _sqlite_max_params(db) // len(fields)))
            row_marks = f"({', '.join(['%s'] * len(fields))})"
            for start in range(0, len(params), per):
                chunk = params[start:start + per]
                cursor.executemany(f"{head} VALUES {', '.join([row_marks] * len(chunk))}",
                                   [[value for row in chunk for value in row]])
    for obj in objs:
        if type(obj) is not dict:
            obj._state.adding = False
            obj._state.db = db.alias


_EVENT_REFERENCES = ("unit", "target_user", "target_unit", "meeting", "task", "report")


def audit_log_many(events: list[dict], *, batch_size: int = 2000) -> list[int]:
    """Append many events with one lock of the chain head and one prepared insert, and return their ids: for
    imports of thousands of rows, where one ``audit_log`` per row costs four queries each. Each event is a dict of
    ``audit_log``'s arguments, where a reference may also be given by id (``task_id=``, ``meeting_id=``...).

    No model object is built: each row goes from plain values to its hash and its insert. Ids are reserved first,
    so each row's hash (which covers its id) is computed before the insert, over the values the database gives
    back (UTC time, a normalized IP address, ``extra`` as JSON stores it), by ``event_digest`` as
    ``AuditEvent.content_digest`` does (``audit_verify`` recomputes it from the stored rows)."""
    if not events:
        return []
    head = _locked_head()
    ip_field = AuditEvent._meta.get_field("ip_address")
    now = timezone.now().astimezone(dt.timezone.utc)
    units: dict = {}  # actor id → the actor's unit id (the default ``unit``)
    ips: dict = {}
    loads, dumps = json.loads, json.dumps
    key_id = settings.DUBAN_AUDIT_KEY_ID
    rows = []
    prev = head.last_hash
    for fields, pk in zip(events, reserve_ids_in_txn(AuditEvent, len(events))):
        actor = fields["actor"]
        actor_id = actor.pk if actor is not None else None
        refs = {}
        for name in _EVENT_REFERENCES:
            value = fields.get(name)
            refs[name] = value.pk if value is not None else fields.get(name + "_id")
        if refs["unit"] is None and actor is not None:
            if actor_id not in units:
                profile = getattr(actor, "profile", None)  # a missing profile raises an AttributeError
                units[actor_id] = profile.unit_id if profile is not None else None
            refs["unit"] = units[actor_id]
        created_at = fields.get("created_at")
        created_at = now if created_at is None else created_at.astimezone(dt.timezone.utc)
        ip = fields.get("ip_address") or None
        if ip is not None:
            if ip not in ips:
                ips[ip] = ip_field.get_prep_value(ip)
            ip = ips[ip]
        extra = loads(dumps(fields.get("extra") or {}, ensure_ascii=False))  # as JSON stores it
        event_type = int(fields["event_type"])
        digest = event_digest(pk, event_type, created_at, actor_id, refs["unit"], refs["target_user"],
                              refs["target_unit"], refs["meeting"], refs["task"], refs["report"], extra, ip, False,
                              prev, key_id=key_id)
        rows.append({"id": pk, "event_type": event_type, "created_at": created_at, "actor_id": actor_id,
                     "unit_id": refs["unit"], "target_user_id": refs["target_user"],
                     "target_unit_id": refs["target_unit"], "meeting_id": refs["meeting"], "task_id": refs["task"],
                     "report_id": refs["report"], "extra": extra, "ip_address": ip, "backfilled": False,
                     "prev_hash": prev, "chain_hash": digest, "key_id": key_id})
        prev = digest
    insert_rows_in_txn(AuditEvent, rows, batch_size=batch_size)
    head.last_event_id = rows[-1]["id"]
    head.last_hash = prev
    head.save(update_fields=["last_event_id", "last_hash"])
    anchor_on_commit(head.last_event_id, prev)
    return [row["id"] for row in rows]


def audit_verify() -> list[int]:
    """Ids of events whose stored hash does not match their content and predecessor (empty when intact). The
    chain head must point at the last row, so deleting the newest rows is caught too (their ids are reported).
    Rows are checked with the key they name (a row recomputed without it fails; a row naming no key was written
    or rewritten without one and fails too), and every head anchored in the file outside the database must still be in the
    chain with the same hash: a chain cut short or deleted whole reports the anchored ids it lost."""
    broken: list[int] = []
    prev = ""
    last_id = 0
    hashes: dict[int, str] = {}
    wanted = dict(anchors())
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        try:
            intact = (bool(event.key_id) and event.prev_hash == prev
                      and event.content_digest(prev) == event.chain_hash)
        except UnknownAuditKey:
            intact = False
        if not intact:
            broken.append(event.pk)
        if event.pk in wanted:
            hashes[event.pk] = event.chain_hash
        prev = event.chain_hash
        last_id = event.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_event_id, head.last_hash) != (last_id, prev):
        broken.append(head.last_event_id)
    broken.extend(event_id for event_id, digest in wanted.items() if hashes.get(event_id) != digest)
    return sorted(set(broken))
