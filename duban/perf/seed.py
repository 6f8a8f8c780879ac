"""A synthetic province-scale database for benchmarks: ``duban seed-bench --tasks 100000``.

Builds 300 units (市 → 区县 → 乡镇/部门, with correct ``Unit.path``), two users per unit, each county's own
supervision office and the office's people, 250 meetings over five years, ``--tasks`` tasks across areas, kinds,
statuses and deadlines (with ``--subtasks``, cascaded sub-tasks among them, split as ``task_decompose`` splits:
``_Trees``), five progress reports per task and ten audit events per task. Rows go in with bulk statements
(``executemany`` on SQLite inside one transaction with ``synchronous=OFF``; ``COPY`` on PostgreSQL), with ids chosen
here so that foreign keys need no round trip, into the big tables stripped of their secondary indexes and foreign
keys (``_strip``). SQLite builds those again before its one commit; PostgreSQL commits the rows and builds them on
several connections at once, the tasks' and reports' while the audit events load (``seed``).

The audit rows keep a valid hash chain (``duban audit verify`` passes): each row's hash is computed by
``duban.core.models.event_hasher``, the function behind ``AuditEvent.content_digest``, so the seed cannot drift from
what verification checks. This is benchmark data,
not history: the audit rows are written without actions on purpose (a million actions would take hours), which is
why this command refuses to run on a database that already holds tasks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, connections, models, transaction

from duban.core.audit import EventType
from duban.core.models import Area, AuditChainHead, AuditEvent, Profile, Unit, event_hasher
from duban.meetings.models import Meeting
from duban.tasks import unit_tally
from duban.tasks.models import ProgressReport, Task, TaskStatus, rollup_progress
from duban.tasks.report_due import report_due_refresh_all

BENCH_PASSWORD = "Bench-pass-2026!"
UTC = dt.timezone.utc

CITY = "江州市"
CITY_DEPTS = (
    "市委督查室", "市政府办公室", "市发展和改革委员会", "市教育局", "市科学技术局", "市工业和信息化局", "市公安局",
    "市民政局", "市司法局", "市财政局", "市人力资源和社会保障局", "市自然资源和规划局", "市生态环境局",
    "市住房和城乡建设局", "市交通运输局", "市水利局", "市农业农村局", "市商务局", "市文化广电旅游局", "市卫健委",
    "市退役军人事务局", "市应急管理局", "市审计局", "市国资委", "市市场监督管理局", "市统计局", "市医疗保障局",
    "市城市管理局", "市林业局", "市信访局", "市数据资源管理局", "市行政审批局", "市机关事务管理局", "市金融工作局",
    "市乡村振兴局", "市粮食和物资储备局", "市气象局", "市消防救援支队", "市税务局", "市供电公司",
)
COUNTIES = ("临川区", "江北区", "东湖区", "青山区", "清河县", "安平县", "宁川县", "云岭县", "永宁县", "泽西县")
TOWN_STEMS = ("城关", "东风", "红星", "青石", "白沙", "龙泉", "桃源", "双河", "柳林", "金山", "梅岭", "凤凰", "长岗",
              "新桥", "石门")
COUNTY_DEPTS = ("应急管理局", "卫生健康局", "教育局", "住房和城乡建设局", "生态环境分局", "农业农村局", "交通运输局",
                "市场监督管理局", "水利局")
AREAS = ("安全生产", "生态环保", "乡村振兴", "营商环境", "城市建设", "民生保障", "教育卫生", "疫情防控",
         "交通运输", "信访维稳", "财政金融", "党的建设")
VERBS = ("加快推进", "全面排查", "切实抓好", "统筹推进", "扎实开展", "持续深化", "认真落实", "着力解决",
         "抓紧完成", "研究制定")
OBJECTS = ("燃气安全隐患整治", "老旧小区改造", "高标准农田建设", "营商环境优化提升", "河湖长制落实", "校园周边安全治理",
           "重点项目前期工作", "农村人居环境整治", "中小企业纾困帮扶", "城市内涝治理", "养老服务体系建设",
           "大气污染联防联控", "信访积案化解", "自建房安全专项整治", "医疗卫生服务能力提升", "就业创业帮扶",
           "森林防灭火工作", "道路交通安全整治", "防汛备汛各项准备", "历史遗留问题处置")
TAILS = ("确保按期完成目标任务", "形成长效机制", "及时报送工作进展", "压实属地和部门责任", "做到底数清、情况明",
         "坚决防范重特大事故发生", "让群众有实实在在的获得感", "务求取得实效")
REPORT_PHRASES = ("已召开专题会议研究部署", "已完成摸底排查", "已制定工作方案并印发", "正在组织实施", "已完成阶段性目标",
                  "存在资金缺口，正在协调", "已督促各乡镇落实", "已通过验收", "已建立工作台账", "已完成整改销号")
BODIES = ("市委常委会", "市政府常务会议", "市委全面深化改革委员会会议", "市政府专题会议", "市委财经委员会会议")
PRESIDERS = (("张建国", "市委书记"), ("李卫东", "市长"), ("王志刚", "常务副市长"), ("陈红", "副市长"))

# kinds other than meeting decisions, which carry no meeting
OTHER_KINDS = ("instruction", "inspection", "livelihood", "hazard")
OPEN = ("assigned", "accepted", "in_progress", "close_requested", "returned")
# the audit extras that repeat, one object each: ten million events must not hold ten million equal dicts
CREATED, SIGN_IN, CLOSED = {"status": "draft"}, {"ip": "10.0.0.1"}, {"status": ["close_requested", "closed"]}
ACCEPTED, PROGRESS = {}, {p: {"progress_percent": p} for p in range(0, 101)}
SUBTASK_ISSUED, TASK_DECOMPOSED = int(EventType.SUBTASK_ISSUED), int(EventType.TASK_DECOMPOSED)


@dataclass
class SeedSummary:
    units: int = 0
    users: int = 0
    meetings: int = 0
    tasks: int = 0
    subtasks: int = 0
    coop_links: int = 0
    reports: int = 0
    audit_events: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def describe(self) -> str:
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        return (f"{self.units} units, {self.users} users, {self.meetings} meetings, {self.tasks} tasks "
                f"({self.subtasks} of them sub-tasks), "
                f"{self.coop_links} cooperation links, {self.reports} reports, {self.audit_events} audit events "
                f"in {self.total_seconds:.1f}s ({steps})")


class _Writer:
    """Bulk inserts into one model's table: explicit columns, every other concrete column gets its default."""

    def __init__(self, model, columns: list[str]):
        self.model = model
        self.vendor = connection.vendor
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.columns = list(columns)
        self.extra_values: list = []
        for attname, f in fields.items():
            if attname in columns or (f.primary_key and attname not in columns):
                continue
            # A column added by someone after this seed was written still gets its model default.
            default = f.get_default()  # "" for text columns without a default, None for nullable ones
            if isinstance(f, models.JSONField):
                default = json.dumps(default if default is not None else {}, ensure_ascii=False)
            elif default is not None and self.vendor == "sqlite" and isinstance(default, (dt.date, dt.datetime)):
                default = _sqlite_value(default)
            self.columns.append(attname)
            self.extra_values.append(default)
        self.db_columns = [fields[c].column for c in self.columns]
        self.count = 0

    def write(self, rows) -> int:
        """Insert ``rows`` (tuples in ``columns`` order)."""
        extra = tuple(self.extra_values)
        q = connection.ops.quote_name
        table = q(self.model._meta.db_table)
        cols = ", ".join(q(c) for c in self.db_columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg cursor: COPY is ~5x faster than INSERT batches
                with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + extra)
                        self.count += 1
            else:
                marks = ", ".join(["%s"] * len(self.db_columns))
                sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"

                def counted():
                    for row in rows:
                        self.count += 1
                        yield row + extra

                cursor.executemany(sql, counted())
        return self.count

    def write_lines(self, lines, *, batch: int = 2000) -> int:
        """PostgreSQL: ``COPY`` rows given as lines of COPY's text format (``copy_text`` of each of ``columns``,
        tab-separated, no newline), for the ten million audit rows, where psycopg adapting every value costs more
        than building the line. The other columns' defaults are appended to each line."""
        suffix = "".join("\t" + copy_text(v) for v in self.extra_values) + "\n"
        q = connection.ops.quote_name
        cols = ", ".join(q(c) for c in self.db_columns)
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {q(self.model._meta.db_table)} ({cols}) FROM STDIN") as copy:
            chunk = []
            for line in lines:
                chunk.append(line)
                if len(chunk) == batch:
                    copy.write(suffix.join(chunk) + suffix)
                    self.count += batch
                    chunk = []
            if chunk:
                copy.write(suffix.join(chunk) + suffix)
                self.count += len(chunk)
        return self.count


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).translate(_COPY_ESCAPES)


def _strip(models_: list) -> tuple[list, list]:
    """Drop the big tables' secondary indexes (and, on PostgreSQL, their foreign keys) before the bulk load, inside
    the load's transaction; return them (``(name, CREATE INDEX ...)``, ``(table, name, definition)``) for
    ``_rebuild_in_txn`` or ``_indexes_in_parallel`` and ``_foreign_keys_in_parallel``.

    One sorted index build is several times cheaper than a million index updates; on PostgreSQL a foreign key added
    back is checked by one join instead of one queued trigger event per row (which also made ``CREATE INDEX`` refuse
    to run: "pending trigger events"). Indexes that back a constraint (primary keys, unique pairs) stay. SQLite's
    foreign keys are switched off for the whole seed instead and checked once at the end (``foreign_key_check``)."""
    tables = [m._meta.db_table for m in models_]
    q = connection.ops.quote_name
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                      "WHERE indrelid::regclass::text = ANY(%s) AND indexrelid NOT IN "
                      "(SELECT conindid FROM pg_constraint) ORDER BY indexrelid", [tables])
            indexes = c.fetchall()
            c.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                      "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY oid", [tables])
            foreign_keys = c.fetchall()
            for table, name, _ in foreign_keys:
                c.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
        else:
            marks = ", ".join(["%s"] * len(tables))
            c.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks}) "
                      "AND sql IS NOT NULL", tables)
            indexes, foreign_keys = c.fetchall(), []
        for name, _ in indexes:
            c.execute(f"DROP INDEX {q(name)}")
    return indexes, foreign_keys


def _rebuild_in_txn(indexes: list, foreign_keys: list) -> None:
    """Build the stripped indexes and foreign keys again, one after the other, in the caller's transaction."""
    q = connection.ops.quote_name
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _, sql in indexes:
            c.execute(sql)
        for table, name, definition in foreign_keys:
            c.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")


REBUILD_CONNECTIONS = 3  # index builds at once: a GIN build uses one core; b-trees also take parallel workers


def _indexes_in_parallel(indexes: list, *, workers: int = 0) -> None:
    """PostgreSQL, after the load committed: build the stripped indexes on ``REBUILD_CONNECTIONS`` connections at
    once, the costliest first (GIN indexes, whose build PostgreSQL does not parallelize, then b-trees by table
    size, which take ``max_parallel_maintenance_workers`` each). One build after another took 9 minutes of the
    million-task seed; this runs them side by side. The end state is the migrated schema (the tests compare it)."""
    with connection.cursor() as c:
        c.execute("SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                  "c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'")
        sizes = dict(c.fetchall())

    def cost(index) -> tuple:
        return " USING gin " in index[1], sizes.get(_index_table(index[1]), 0)

    _side_by_side([[sql] for _, sql in sorted(indexes, key=cost, reverse=True)], workers=workers)


def _index_table(create_index: str) -> str:
    """The table of a ``CREATE INDEX ... ON [schema.]table USING ...`` statement (``pg_get_indexdef``'s)."""
    return create_index.split(" ON ", 1)[1].split()[0].rsplit(".", 1)[-1]


def _foreign_keys_in_parallel(foreign_keys: list) -> None:
    """PostgreSQL, after the indexes: the stripped foreign keys, added back unvalidated (the definition, deferred
    as Django declares them, unchanged) and then validated, one table per connection: validation locks only its
    own table and reads the referenced ones, so tables are checked side by side."""
    q = connection.ops.quote_name
    with connection.cursor() as c:
        for table, name, definition in foreign_keys:
            c.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition} NOT VALID")
    by_table: dict[str, list[str]] = {}
    for table, name, _ in foreign_keys:
        by_table.setdefault(table, []).append(f"ALTER TABLE {q(table)} VALIDATE CONSTRAINT {q(name)}")
    _side_by_side(sorted(by_table.values(), key=len, reverse=True))


def _vacuum_in_parallel() -> None:
    """``VACUUM ANALYZE`` of every table, the biggest first, several at once (PostgreSQL)."""
    with connection.cursor() as c:
        c.execute("SELECT quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY pg_relation_size(c.oid) DESC")
        _side_by_side([[f"VACUUM ANALYZE {table}"] for table, in c.fetchall()])


def _side_by_side(jobs: list[list[str]], *, workers: int = 0) -> None:
    """Run each job (its statements in order) on a connection of its own, ``workers`` (``REBUILD_CONNECTIONS``) at once,
    started in the order given, each statement in its own transaction; the first failure raises."""
    def run(statements: list[str]) -> None:
        try:
            with connections["default"].cursor() as c:
                c.execute("SET maintenance_work_mem = '512MB'")
                for sql in statements:
                    c.execute(sql)
        finally:
            connections["default"].close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=workers or REBUILD_CONNECTIONS) as pool:
        for future in [pool.submit(run, job) for job in jobs]:
            future.result()


# The tree columns of every task row: a top-level task never split keeps the model's defaults.
TREE_COLUMNS = ("parent_id", "tree_path", "issuing_unit_id", "rollup_mode")
ROOT_TREE = (None, "", None, "worst")


class _Trees:
    """Cascaded sub-tasks (分解下达) planned as ``task_decompose`` makes them: the office splits a share of the
    top-level tasks at 交办 among ``parts`` counties (the district units under the city), issuing them itself; with
    ``depth`` 2 each county's own supervision office (本级督查室) splits its part again among ``parts`` of its
    townships, its unit issuing those. Each sub-task copies its parent's kind, meeting, sequence number, title, text,
    heading, area, priority and report cycle, is assigned to its lead unit when issued, has a deadline no later than
    its parent's (nor before the day it was issued) and a tree path of the ids from the root. Sub-tasks are planned
    right after their top-level task (ids continuing), so they get reports and audit events like every task; the
    split itself leaves one SUBTASK_ISSUED event per sub-task and TASK_DECOMPOSED on the parent, as the action does.

    Statuses follow the parent: a closed (or closing) parent's parts are closed (a parent is not signed off over
    open parts), a withdrawn parent's are withdrawn; under an open parent a part's status comes from its own
    deadline. Random choices come from a generator of their own (the seed value + 1), so without sub-tasks the
    tasks and reports are drawn as before."""

    def __init__(self, *, parts: int, depth: int, share: float, rng: random.Random, counties: list[tuple],
                 towns: dict[int, list[tuple]], depts: dict[int, list[tuple]], office: tuple[int, int],
                 county_office: dict[int, int], today: dt.date):
        self.parts, self.depth, self.share, self.rng = parts, depth, share, rng
        self.counties, self.towns, self.depts = counties, towns, depts
        self.office, self.county_office, self.today = office, county_office, today
        self.columns: dict[int, tuple] = {}  # task id -> TREE_COLUMNS values (tasks in a tree only)
        self.issued: dict[int, tuple] = {}  # sub-task id -> (when it was issued (created, assigned), by whom)
        # (when, actor, actor's unit, issuing unit, parent id, meeting id, rollup mode, [(child row, deadline)])
        self.splits: list[tuple] = []

    def roots_for(self, n_tasks: int) -> int:
        """About how many top-level tasks make ``n_tasks`` tasks in all (for the share of meeting decisions)."""
        size = min(self.parts, len(self.counties)) * (1 + (self.parts if self.depth > 1 else 0))
        return max(1, int(n_tasks / (1 + 0.9 * self.share * size)))

    def split(self, plan: list[list], root: list, *, next_id: int, budget: int) -> None:
        """Maybe split ``root`` (just appended to ``plan``), appending at most ``budget`` sub-tasks."""
        rng = self.rng
        if budget <= 0 or root[4] in ("draft", "returned") or rng.random() >= self.share:
            return
        at = dt.datetime.combine(root[2], dt.time(12, 5), tzinfo=UTC)  # right after 交办 (10:00 + 2 h)
        mode = "worst" if rng.random() < 0.8 else rng.choice(("share", "all"))
        office, office_unit = self.office
        counties = rng.sample(self.counties, min(self.parts, len(self.counties), budget))
        children = self._issue(plan, root, at, office, office_unit, None, mode,
                               [(c, ()) for c in counties], next_id)
        next_id += len(children)
        budget -= len(children)
        if self.depth < 2:
            return
        for child, county in zip(children, counties):
            towns = self.towns[county[0]]
            n = min(self.parts, len(towns), budget)
            if n <= 0:
                return
            when = self.issued[child[0]][0] + dt.timedelta(days=1, hours=2)  # a day after the part was issued
            if child[3] < when.date():  # its deadline would have passed: no split then
                continue
            depts = self.depts[county[0]]
            leads = [(town, (rng.choice(depts)[0],) if rng.random() < 0.3 else ()) for town in rng.sample(towns, n)]
            office = self.county_office[county[0]]
            made = self._issue(plan, child, when, office, county[0], county[0], "worst", leads, next_id)
            next_id += len(made)
            budget -= len(made)

    def _issue(self, plan, parent, at, actor, actor_unit, issuing_unit, mode, leads, next_id) -> list[list]:
        rng = self.rng
        pid, mid, _, deadline, status = parent[:5]
        path = self.columns[pid][1] if pid in self.columns else f"/{pid}/"
        above, _, issued_by, _ = self.columns.get(pid, ROOT_TREE)
        self.columns[pid] = (above, path, issued_by, mode)
        made = []
        for i, (unit, coop) in enumerate(leads):
            cid = next_id + i
            own = max(at.date(), deadline - dt.timedelta(days=rng.choice((0, 0, 3, 5, 10))))
            if status in ("closed", "close_requested"):
                own_status = "closed"
            elif status == "withdrawn":
                own_status = "withdrawn"
            else:
                r = rng.random()
                if (self.today - own).days > 0:
                    own_status = "closed" if r < 0.6 else "in_progress" if r < 0.85 else "close_requested"
                else:
                    own_status = ("in_progress" if r < 0.45 else "accepted" if r < 0.75 else "assigned" if r < 0.9
                                  else "closed")
            row = [cid, mid, at.date(), own, own_status, unit[0], coop, 0]
            plan.append(row)
            self.columns[cid] = (pid, f"{path}{cid}/", issuing_unit, "worst")
            self.issued[cid] = (at, actor)
            made.append(row)
        self.splits.append((at, actor, actor_unit, issuing_unit, pid, mid, mode, [(r, r[3]) for r in made]))
        return made

    def values(self, task_id: int) -> tuple:
        return self.columns.get(task_id, ROOT_TREE)

    def events(self) -> Iterator[tuple]:
        """The audit events of the splits, in the action's order: SUBTASK_ISSUED per sub-task, then
        TASK_DECOMPOSED on the parent (plan rows: see ``_seed_in_txn``'s ``events``)."""
        for at, actor, unit, issuing, pid, mid, mode, children in self.splits:
            for row, deadline in children:
                yield (at, SUBTASK_ISSUED, actor, unit, row[0], None,
                       {"parent_id": pid, "lead_unit_id": row[5], "coop_unit_ids": list(row[6]),
                        "deadline": deadline.isoformat(), "issuing_unit_id": issuing}, row[5], mid)
            yield (at, TASK_DECOMPOSED, actor, unit, pid, None,
                   {"child_ids": [row[0] for row, _ in children], "rollup_mode": mode, "issuing_unit_id": issuing},
                   None, mid)


def _fill_rolled_progress() -> None:
    """Each split task's kept ``rolled_progress``, as the actions keep it (``rollup_refresh_in_txn``): from its
    live sub-tasks by ``rollup_progress``, a split sub-task counting with its own rolled-up progress, deepest
    first. One read of the tasks in trees, one update per value."""
    rows = list(Task.objects.exclude(tree_path="").values_list("pk", "parent_id", "tree_path", "status",
                                                                 "progress_percent", "rollup_mode"))
    children: dict[int, list] = {}
    for row in rows:
        if row[1] is not None and row[3] != TaskStatus.WITHDRAWN:
            children.setdefault(row[1], []).append(row)
    effective: dict[int, int] = {}
    rolled: dict[int, list[int]] = {}
    for pk, _, path, _, own, mode in sorted(rows, key=lambda r: -r[2].count("/")):
        kids = children.get(pk)
        if kids:
            value = rollup_progress(mode, [(kid[3], effective[kid[0]]) for kid in kids])
            rolled.setdefault(value, []).append(pk)
        effective[pk] = value if kids else own
    for value, ids in rolled.items():
        for start in range(0, len(ids), 5000):
            Task.objects.filter(pk__in=ids[start:start + 5000]).update(rolled_progress=value)


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        # Django stores aware datetimes on SQLite as naive UTC text; the seed's are UTC already
        if value.utcoffset():
            value = value.astimezone(UTC)
        return str(value)[:26 if value.microsecond else 19]
    return str(value)


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def seed(*, tasks: int = 100_000, seed_value: int = 20261125, today: dt.date | None = None, out=None,
         subtasks: int = 0, depth: int = 2, split_share: float = 0.2) -> SeedSummary:
    """Fill the (migrated, task-free) database with ``tasks`` tasks in all. Returns counts and the time of each
    step. With ``subtasks`` > 0, ``split_share`` of the top-level tasks that can be split are split into that many
    sub-tasks, ``depth`` levels down (1: the counties; 2: and their townships), as ``_Trees`` describes."""
    if subtasks < 0 or depth not in (1, 2) or not 0 <= split_share <= 1:
        raise ValueError("subtasks >= 0, depth 1 or 2, split_share within [0, 1]")
    if Task.objects.exists():
        raise RuntimeError("seed-bench needs a database without tasks / 数据库中已有督办事项，请使用新数据库")
    rng = random.Random(seed_value)
    today = today or dt.date.today()
    summary = SeedSummary()
    is_pg = connection.vendor == "postgresql"
    enc = (lambda v: v) if is_pg else (lambda v: None if v is None else _sqlite_value(v))

    def step(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        summary.seconds[name] = t1 - t0
        if out is not None:
            print(f"  {name}: {t1 - t0:.1f}s", file=out, flush=True)
        return t1

    if not is_pg:
        with connection.cursor() as c:
            c.execute("PRAGMA synchronous=OFF")
            # Checked once at the end (foreign_key_check) instead of row by row: with a million deferred checks
            # SQLite spends most of the seed in them.
            c.execute("PRAGMA foreign_keys=OFF")
            c.execute("PRAGMA cache_size=-400000")
            c.execute("PRAGMA temp_store=MEMORY")
    t = time.perf_counter()
    with transaction.atomic():
        stripped = _strip([Task, Task.coop_units.through, ProgressReport, AuditEvent])
        if not is_pg:
            # SQLite's kept-count triggers run per row, and each looks up the written task's cooperations, whose
            # index _strip just dropped: a scan of the cooperation table for every cooperation, report-due and
            # roll-up row written (quadratic; at a million tasks it did not finish the cooperations in 8 minutes).
            # A fresh database's units are all stale anyway; install() puts the triggers back and marks them so.
            # (PostgreSQL's are statement triggers: one grouped statement per COPY.)
            unit_tally.uninstall(connection)
        t, write_audit = _seed_in_txn(rng=rng, today=today, n_tasks=tasks, summary=summary, enc=enc, step=step, t=t,
                                      trees=dict(parts=subtasks, depth=depth, share=split_share,
                                                 rng=random.Random(seed_value + 1)) if subtasks else None)
        if not is_pg:
            t = write_audit(t)
            _rebuild_in_txn(*stripped)
            unit_tally.install(connection)
    if is_pg:
        # The rows are committed without the indexes and foreign keys, which are built on several connections at
        # once (they could not see uncommitted rows): those of the tasks and reports while this connection loads
        # the audit events in a second transaction, the audit table's after it. Should any of it fail, the
        # database is incomplete: the seed refuses a database holding tasks, so it is dropped and seeded anew.
        audit_table = AuditEvent._meta.db_table
        indexes, foreign_keys = stripped
        late_indexes = [index for index in indexes if _index_table(index[1]) == audit_table]
        late_keys = [key for key in foreign_keys if key[0] == audit_table]

        def early() -> None:
            try:  # two connections, not three: the audit load (Python) needs a core of its own
                _indexes_in_parallel([i for i in indexes if i not in late_indexes], workers=REBUILD_CONNECTIONS - 1)
                _foreign_keys_in_parallel([k for k in foreign_keys if k not in late_keys])
            finally:
                connections["default"].close()  # this thread's own connection

        try:
            with ThreadPoolExecutor(max_workers=1) as background:
                built = background.submit(early)
                with transaction.atomic():
                    t = write_audit(t)
                built.result()
            t = step("early-indexes", t)  # what the tasks' and reports' builds took beyond the audit load
            _indexes_in_parallel(late_indexes)
            t = step("indexes", t)
            _foreign_keys_in_parallel(late_keys)
            t = step("foreign-keys", t)
        except Exception as exc:
            raise RuntimeError("seed-bench failed after committing the tasks and reports: drop this database and "
                               "seed a new one / 督办事项和进展报告已提交后生成失败，请删除该数据库后重新生成") from exc
    else:
        t = step("indexes", t)
    # PostgreSQL: VACUUM also marks the freshly written pages all-visible, as autovacuum does after inserts
    # in production, so grouped counts can be answered from an index alone (an index-only scan).
    if is_pg:
        _vacuum_in_parallel()
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    step("analyze", t)
    if not is_pg:
        with connection.cursor() as c:
            c.execute("PRAGMA foreign_key_check")
            broken = c.fetchall()
            c.execute("PRAGMA foreign_keys=ON")
            c.execute("PRAGMA synchronous=NORMAL")
        if broken:
            raise RuntimeError(f"seed-bench wrote dangling foreign keys: {broken[:5]}")
        step("fk-check", t)
    return summary


def _seed_in_txn(*, rng, today, n_tasks, summary, enc, step, t, trees=None):
    now = dt.datetime.combine(today, dt.time(9), tzinfo=UTC)
    start_day = today - dt.timedelta(days=5 * 365)

    # --- units: 市 → 区县 → 乡镇/部门, ids chosen here so that paths are known before insert -------------
    unit_id = _next_id(Unit)
    units: list[tuple] = []  # (id, name, parent_id, path, sort)

    def add_unit(name, parent):
        nonlocal unit_id
        path = f"{parent[3] if parent else '/'}{unit_id}/"
        row = (unit_id, name, parent[0] if parent else None, path, len(units))
        units.append(row)
        unit_id += 1
        return row

    city = add_unit(CITY, None)
    depts = [add_unit(name, city) for name in CITY_DEPTS]
    counties = [add_unit(f"{name}人民政府", city) for name in COUNTIES]
    per_county = (300 - len(units)) // len(counties)
    county_children: dict[int, list] = {}
    county_depts: dict[int, list] = {}
    for i, county in enumerate(counties):
        short = COUNTIES[i]
        kids = [add_unit(f"{short}{d}", county) for d in COUNTY_DEPTS]
        county_depts[county[0]] = list(kids)
        suffixes = ("镇", "乡", "街道")
        j = 0
        while len(kids) < per_county:
            stem = TOWN_STEMS[j % len(TOWN_STEMS)] + ("" if j < len(TOWN_STEMS) else str(j // len(TOWN_STEMS) + 1))
            kids.append(add_unit(f"{short}{stem}{suffixes[j % 3]}", county))
            j += 1
        county_children[county[0]] = kids
    # the townships (乡镇/街道) of each county, before the extra units below are added to its children
    county_towns = {c: kids[len(county_depts[c]):] for c, kids in county_children.items()}
    while len(units) < 300:
        county = counties[len(units) % len(counties)]
        county_children[county[0]].append(add_unit(f"{county[1][:3]}新区管委会{len(units)}", county))
    w = _Writer(Unit, ["id", "name", "parent_id", "path", "sort_order", "is_active", "short_name"])
    summary.units = w.write((u[0], u[1], u[2], u[3], u[4], True, "") for u in units)
    office_unit = depts[0]

    area_ids = []
    for i, name in enumerate(AREAS):
        area, _ = Area.objects.get_or_create(name=name, defaults={"sort_order": i})
        area_ids.append(area.pk)

    # --- users: an admin and a staff member per unit, plus the office's people ----------------------------
    User = get_user_model()
    password = make_password(BENCH_PASSWORD)  # one hash for all: argon2 per user would take minutes
    user_id = _next_id(User)
    users, profiles = [], []
    unit_users: dict[int, list[int]] = {}

    def add_user(username, role, unit_row, name):
        nonlocal user_id
        users.append((user_id, password, False, username, name, "", "", False, True, enc(now)))
        profiles.append((user_id, unit_row[0] if unit_row else None, role, name, "", False))
        if unit_row:
            unit_users.setdefault(unit_row[0], []).append(user_id)
        user_id += 1
        return user_id - 1

    supervisor = add_user("bench-supervisor", "supervisor", office_unit, "督查室 王明")
    add_user("bench-leader", "leader", None, "市领导 李华")
    add_user("bench-admin", "sysadmin", None, "系统管理员")
    for u in units:
        add_user(f"u{u[0]}-admin", "unit_admin", u, f"{u[1]}管理员")
        add_user(f"u{u[0]}-staff", "unit_staff", u, f"{u[1]}经办人")
    # each county's own supervision office (本级督查室), which splits and supervises its part of a task
    county_office = {c[0]: add_user(f"u{c[0]}-office", "unit_supervisor", c, f"{c[1]}督查室") for c in counties}
    w = _Writer(User, ["id", "password", "is_superuser", "username", "first_name", "last_name", "email",
                       "is_staff", "is_active", "date_joined"])
    summary.users = w.write(iter(users))
    _Writer(Profile, ["user_id", "unit_id", "role", "display_name", "phone", "must_change_password"]).write(
        iter(profiles))
    t = step("units+users", t)

    # --- meetings: 250 over five years ----------------------------------------------------------------------
    meeting_id = _next_id(Meeting)
    meetings = []  # (id, date)
    rows = []
    per_year: dict[tuple, int] = {}
    for i in range(250):
        date = start_day + dt.timedelta(days=int(i * 5 * 365 / 250) + rng.randint(0, 5))
        body = BODIES[i % len(BODIES)]
        n = per_year[(body, date.year)] = per_year.get((body, date.year), 0) + 1
        title = f"{body}{date.year}年第{n}次会议"
        presider, ptitle = PRESIDERS[i % len(PRESIDERS)]
        text = (f"{date.year}年{date.month}月{date.day}日，{presider}{ptitle}主持召开{title}。会议听取了有关工作汇报，"
                f"研究部署了{rng.choice(OBJECTS)}等工作。")
        created = dt.datetime.combine(date, dt.time(16), tzinfo=UTC)
        rows.append((meeting_id, title, body, enc(date), f"{date.month:02d}-{date.day:02d}", presider, ptitle,
                     "[]", text, f"{title}.txt", hashlib.sha256(text.encode()).hexdigest(), "utf-8", "{}",
                     "confirmed", supervisor, enc(created), enc(created), 1))
        meetings.append((meeting_id, date))
        meeting_id += 1
    w = _Writer(Meeting, ["id", "title", "body", "date", "date_text", "presider", "presider_title", "reports_heard",
                          "source_text", "source_name", "sha256", "encoding", "extraction", "status",
                          "created_by_id", "created_at", "confirmed_at", "version"])
    summary.meetings = w.write(iter(rows))

    # --- tasks ----------------------------------------------------------------------------------------------
    leaf_units = [u for u in units if u[2] is not None and u[0] != office_unit[0]]
    task_id0 = _next_id(Task)
    report_id0 = _next_id(ProgressReport)
    if trees is not None:
        trees = _Trees(**trees, counties=counties, towns=county_towns, depts=county_depts,
                       office=(supervisor, office_unit[0]), county_office=county_office, today=today)
    n_meeting_tasks = int((n_tasks if trees is None else trees.roots_for(n_tasks)) * 0.4)
    plan = []  # per task: (id, meeting_id, created_date, deadline, status, lead_id, coop_ids, n_reports)
    seq_of: dict[int, int] = {}
    k = 0
    while len(plan) < n_tasks:  # top-level tasks, each followed by its sub-tasks if it is split
        tid = task_id0 + len(plan)
        if k < n_meeting_tasks:
            mid, created = meetings[k % len(meetings)]
        else:
            mid, created = None, start_day + dt.timedelta(days=rng.randrange(5 * 365))
        deadline = created + dt.timedelta(days=rng.choice((15, 30, 60, 90, 180, 365)))
        age = (today - deadline).days
        r = rng.random()
        if age > 60:  # long past the deadline: mostly done
            status = ("closed" if r < 0.88 else "in_progress" if r < 0.94 else "withdrawn" if r < 0.97
                      else "close_requested")
        elif age > -30:
            status = ("closed" if r < 0.45 else "in_progress" if r < 0.75 else "close_requested" if r < 0.85
                      else "accepted" if r < 0.93 else "assigned" if r < 0.97 else "returned")
        else:
            status = ("in_progress" if r < 0.5 else "accepted" if r < 0.75 else "assigned" if r < 0.9
                      else "draft" if r < 0.96 else "closed")
        lead = rng.choice(leaf_units)
        coop_ids = ()
        c = rng.random()
        if c < 0.55:
            coop_ids = tuple({rng.choice(leaf_units)[0] for _ in range(1 if c < 0.4 else 2)} - {lead[0]})
        plan.append([tid, mid, created, deadline, status, lead[0], coop_ids, 0])
        if mid:
            seq_of[mid] = seq_of.get(mid, 0) + 1
        if trees is not None:
            trees.split(plan, plan[-1], next_id=task_id0 + len(plan), budget=n_tasks - len(plan))
        k += 1
    tree_values = (lambda tid: ROOT_TREE) if trees is None else trees.values
    issued = {} if trees is None else trees.issued
    summary.subtasks = len(issued)
    # five reports per task on average, none on drafts
    reporting = [p for p in plan if p[4] != "draft"]
    base, extra = divmod(5 * n_tasks, len(reporting))
    for i, p in enumerate(reporting):
        p[7] = base + (1 if i < extra else 0)
    report_id = report_id0
    for p in plan:
        p.append(report_id + p[7] - 1 if p[7] else None)  # latest report id
        report_id += p[7]

    seq_counter: dict[int, int] = {}

    split_parents = set() if trees is None else {split[4] for split in trees.splits}
    parent_rows: dict[int, tuple] = {}

    def task_rows():
        for tid, mid, created, deadline, status, lead, coop_ids, n_rep, latest in plan:
            tree = tree_values(tid)
            if tid in issued:  # a sub-task: what task_decompose copies from its parent, assigned when issued
                p = parent_rows[tree[0]]
                created_at, by = issued[tid]
                accepted = (created_at + dt.timedelta(days=1)) if status not in ("assigned", "returned") else None
                closed = (dt.datetime.combine(min(deadline, today), dt.time(15), tzinfo=UTC)
                          if status == "closed" else None)
                progress = 100 if status in ("closed", "close_requested") else (rng.randrange(10, 95, 5)
                                                                              if n_rep else 0)
                row = (tid, p[1], mid, p[3], p[4], p[5], p[6], p[7], lead, enc(deadline), "", status, p[12], p[13],
                       p[14], progress, latest, 0, by, enc(created_at), enc(closed or accepted or created_at),
                       enc(created_at), enc(accepted), enc(closed), 1, p[25], *tree)
                if tid in split_parents:
                    parent_rows[tid] = row
                yield row
                continue
            if mid:
                seq = seq_counter[mid] = seq_counter.get(mid, 0) + 1
                kind = "meeting"
            else:
                seq, kind = 0, OTHER_KINDS[tid % len(OTHER_KINDS)]
            verb, obj = rng.choice(VERBS), rng.choice(OBJECTS)
            title = f"{verb}{obj}"
            text = f"要{title}，{rng.choice(TAILS)}。"
            created_at = dt.datetime.combine(created, dt.time(10), tzinfo=UTC)
            assigned = None if status == "draft" else created_at + dt.timedelta(hours=2)
            accepted = (created_at + dt.timedelta(days=1)) if status not in ("draft", "assigned", "returned") else None
            closed = (dt.datetime.combine(min(deadline, today), dt.time(15), tzinfo=UTC)
                      if status == "closed" else None)
            progress = 100 if status in ("closed", "close_requested") else (rng.randrange(10, 95, 5)
                                                                          if n_rep else 0)
            row = (tid, kind, mid, seq, title, text, f"一、{AREAS[tid % len(AREAS)]}", area_ids[tid % len(area_ids)],
                   lead, enc(deadline), f"{deadline.month}月底前", status, 1 if tid % 7 == 0 else 2, "monthly", 0,
                   progress, latest, 1 if status == "returned" else 0, supervisor, enc(created_at),
                   enc(closed or accepted or assigned or created_at), enc(assigned), enc(accepted), enc(closed), 1,
                   enc(created) if mid else None,  # a meeting's tasks are created on its date: meeting_date
                   *tree)
            if tid in split_parents:
                parent_rows[tid] = row
            yield row

    w = _Writer(Task, ["id", "kind", "meeting_id", "seq", "title", "text", "heading", "area_id", "lead_unit_id",
                       "deadline", "deadline_text", "status", "priority", "report_cycle", "report_every",
                       "progress_percent", "latest_report_id", "returns_count", "created_by_id", "created_at",
                       "updated_at", "assigned_at", "accepted_at", "closed_at", "version", "meeting_date",
                       *TREE_COLUMNS])
    # latest_report points forward to reports not written yet: Django declares foreign keys DEFERRABLE INITIALLY
    # DEFERRED on both SQLite and PostgreSQL, so they are checked at commit, when the reports exist.
    summary.tasks = w.write(task_rows())
    through = Task.coop_units.through
    w = _Writer(through, ["task_id", "unit_id"])
    summary.coop_links = w.write((p[0], u) for p in plan for u in p[6])
    if split_parents:
        _fill_rolled_progress()
    t = step("meetings+tasks", t)

    # --- progress reports -------------------------------------------------------------------------------------
    def report_rows():
        rid = report_id0
        for tid, mid, created, deadline, status, lead, coop_ids, n_rep, latest in plan:
            span = max((min(deadline, today) - created).days, n_rep)
            for j in range(n_rep):
                last = j == n_rep - 1
                unit = lead if (j % 3 or not coop_ids) else coop_ids[0]
                author = unit_users[unit][1]
                day = created + dt.timedelta(days=span * (j + 1) // (n_rep + 1))
                at = dt.datetime.combine(day, dt.time(11), tzinfo=UTC)
                if last and status == "close_requested":
                    rstatus, reviewer, reviewed = "submitted", None, None
                else:
                    rstatus, reviewer, reviewed = "accepted", supervisor, enc(at + dt.timedelta(hours=3))
                pct = 100 if last and status in ("closed", "close_requested") else min(95, 20 * (j + 1))
                yield (rid, tid, unit, author, f"{rng.choice(REPORT_PHRASES)}，{rng.choice(REPORT_PHRASES)}。", pct,
                       last and status in ("closed", "close_requested"), rstatus, "", reviewer, reviewed, enc(at))
                rid += 1

    w = _Writer(ProgressReport, ["id", "task_id", "unit_id", "author_id", "text", "progress_percent",
                                 "request_close", "status", "review_comment", "reviewed_by_id", "reviewed_at",
                                 "created_at"])
    summary.reports = w.write(report_rows())
    # each working task's next report due, as the actions keep it, from its latest report now written
    report_due_refresh_all()
    t = step("reports", t)

    def write_audit(t):
        """The audit events and the sequences: on PostgreSQL in a transaction of their own (see ``seed``)."""
        # --- audit events: ten per task, hash-chained ------------------------------------------------------------
        # (created_at, event_type, actor, unit, task, report, extra[, target unit, meeting]); the splits' first
        events = [] if trees is None else list(trees.events())
        sup_unit = office_unit[0]
        for tid, mid, created, deadline, status, lead, coop_ids, n_rep, latest in plan:
            if tid in issued:  # a sub-task: created and assigned when issued (the split's events)
                at = issued[tid][0]
            else:
                at = dt.datetime.combine(created, dt.time(10), tzinfo=UTC)
                events.append((at, 401, supervisor, sup_unit, tid, None, CREATED))
                if status == "draft":
                    continue
                events.append((at + dt.timedelta(hours=2), 406, supervisor, sup_unit, tid, None,
                               {"lead_unit_id": lead, "coop_unit_ids": list(coop_ids)}))
            if status not in ("assigned", "returned"):
                events.append((at + dt.timedelta(days=1), 407, unit_users[lead][1], lead, tid, None, ACCEPTED))
            span = max((min(deadline, today) - created).days, n_rep)
            for j in range(n_rep):
                day = created + dt.timedelta(days=span * (j + 1) // (n_rep + 1))
                events.append((dt.datetime.combine(day, dt.time(11), tzinfo=UTC), 501, unit_users[lead][1], lead, tid,
                               latest - n_rep + 1 + j, PROGRESS[min(100, 20 * (j + 1))]))
            if status == "closed":
                day = dt.datetime.combine(min(deadline, today), dt.time(15), tzinfo=UTC)
                events.append((day, 410, supervisor, sup_unit, tid, latest, CLOSED))
        target = 10 * n_tasks
        del events[target:]
        all_users = [u[0] for u in users]
        user_unit = {p[0]: p[1] for p in profiles}
        span_s = 5 * 365 * 86400
        t0 = dt.datetime.combine(start_day, dt.time(0), tzinfo=UTC)
        while len(events) < target:  # the rest are sign-ins, as in a real office's trail
            uid = rng.choice(all_users)
            events.append((t0 + dt.timedelta(seconds=rng.randrange(span_s)), 101, uid, user_unit[uid], None, None,
                           SIGN_IN))
        events.sort(key=lambda e: e[0])
        t = step("audit-plan", t)

        head, _ = AuditChainHead.objects.get_or_create(pk=1)
        prev = head.last_hash
        first_id = _next_id(AuditEvent)
        last_id = first_id - 1

        key_id = settings.DUBAN_AUDIT_KEY_ID
        digest = event_hasher(key_id)
        dumps = json.dumps
        # the extras shared by many events are written as JSON once (the events list holds them all, so ids are unique)
        shared = {id(extra): dumps(extra, ensure_ascii=False)
                  for extra in (CREATED, SIGN_IN, CLOSED, ACCEPTED, *PROGRESS.values())}

        is_pg = connection.vendor == "postgresql"
        if is_pg:  # a line of COPY text; the values are numbers, ISO times, hex and JSON (escaped by copy_text)
            shared = {k: copy_text(v) for k, v in shared.items()}
            key_text, null = copy_text(key_id), copy_text(None)

            def row(eid, etype, at, actor, unit, target_unit, meeting, tid, rid, extra, prev, h):
                return (f"{eid}\t{etype}\t{at.isoformat()}\t{null if actor is None else actor}\t"
                        f"{null if unit is None else unit}\t"
                        f"{null if target_unit is None else target_unit}\t{null if meeting is None else meeting}\t"
                        f"{null if tid is None else tid}\t{null if rid is None else rid}\t"
                        f"{shared.get(id(extra)) or copy_text(extra)}\tf\t{prev}\t{h}\t{key_text}")
        else:
            def row(eid, etype, at, actor, unit, target_unit, meeting, tid, rid, extra, prev, h):
                return (eid, etype, enc(at), actor, unit, target_unit, meeting, tid, rid,
                        shared.get(id(extra)) or dumps(extra, ensure_ascii=False), False, prev, h, key_id)

        def audit_rows():
            nonlocal prev, last_id
            eid = first_id
            for event in events:
                if len(event) == 7:
                    at, etype, actor, unit, tid, rid, extra = event
                    target_unit = meeting = None
                else:
                    at, etype, actor, unit, tid, rid, extra, target_unit, meeting = event
                h = digest(eid, etype, at, actor, unit, None, target_unit, meeting, tid, rid, extra, None, False, prev)
                yield row(eid, etype, at, actor, unit, target_unit, meeting, tid, rid, extra, prev, h)
                prev = h
                last_id = eid
                eid += 1

        w = _Writer(AuditEvent, ["id", "event_type", "created_at", "actor_id", "unit_id", "target_unit_id", "meeting_id",
                                 "task_id", "report_id", "extra", "backfilled", "prev_hash", "chain_hash", "key_id"])
        summary.audit_events = (w.write_lines if is_pg else w.write)(audit_rows())
        AuditChainHead.objects.filter(pk=head.pk).update(last_event_id=last_id, last_hash=prev)
        t = step("audit", t)

        if connection.vendor == "postgresql":
            with connection.cursor() as c:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Unit, User, Profile, Meeting, Task, through,
                                                                          ProgressReport, AuditEvent]):
                    c.execute(sql)
        return t

    return t, write_audit
