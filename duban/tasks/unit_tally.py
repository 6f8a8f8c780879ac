"""``UnitTally`` upkeep: tasks counted per unit, status and light, kept for one day at a time.

A light depends on the date (past the deadline is red, a report due tomorrow is blue), so counts per light cannot
be kept by deltas that each write adds. Instead each unit's rows are stamped with the day they were counted for and
the version of the unit they saw (``UnitTallyStamp``); the design is correct by construction rather than clever:

- **invalidated in the writer's transaction**: triggers on ``tasks_task`` and on the cooperation table raise the
  ``version`` of every unit attached to a written task (lead, issuing and cooperating units, before and after the
  write, and those of the tasks above it in its tree, whose rolled-up light follows it). The database runs them, so
  every write path counts: actions, bulk updates, imports, restores, ``COPY``. Tasks without a lead unit are kept
  under unit 0. Moving a unit in the tree (its ``path``) makes every unit stale.
- **recounted on read, per unit**: ``kept_counts`` recounts only the units of the scope whose stamp is stale or of
  another day, each from its own tasks (those it leads, issued or cooperates on), and stores the rows with the
  version it read before counting; a write committed meanwhile has raised the version, so those rows stay stale.
  Each unit is stored in its own short transaction that first locks its stamp, so two readers never store twice,
  and a reader never holds one stamp while waiting for another (writers lock tasks first, then stamps in unit
  order: no deadlock).
- **refreshed for all units** by the follow-up pass (``duban remind``, the worker), so the first reader of a day
  does not pay (``refresh_all``).

How rows add up for a scope (``duban.tasks.models.UnitTally``): level 0 counts a task at its lead unit (a
subtree's reports); level k counts it at the first (lowest id) of its units under the same ancestor at depth k, so
a unit subtree rooted at depth k (a unit member's scope: its unit and every unit below) sums its units' level-k
rows and counts each task of the scope exactly once.

The light of a task is computed by one function, registered by the follow-up app (``register_lights``; today
``duban.followup.lights.LightCodes``), which the tasks app may not import; any change of that rule flows here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.db import DatabaseError, connection, transaction
from django.db.models import Sum

from duban.core.rows import plain_rows

ROWS = "tasks_unittally"
STAMPS = "tasks_unittallystamp"
SCOPES = "tasks_unittallyscope"
COOP = "tasks_task_coop_units"
NO_UNIT = 0  # the key of tasks without a lead unit (level 0 only)
_SQLITE_TRIGGERS = ("tasks_unit_tally_ai", "tasks_unit_tally_au", "tasks_unit_tally_ad", "tasks_unit_tally_ci",
                    "tasks_unit_tally_cd", "tasks_unit_tally_uu")
_PG_TRIGGERS = (("tasks_unit_tally_ins", "tasks_task"), ("tasks_unit_tally_upd", "tasks_task"),
                ("tasks_unit_tally_del", "tasks_task"), ("tasks_unit_tally_cins", COOP),
                ("tasks_unit_tally_cdel", COOP), ("tasks_unit_tally_uu", "core_unit"))
_PG_FUNCTIONS = ("tasks_unit_tally_task()", "tasks_unit_tally_coop()", "tasks_unit_tally_unit()")
CHUNK = 40  # units recounted by one read of their tasks

_lights: Callable | None = None


def register_lights(factory: Callable) -> None:
    """The light rule's seam: ``factory(today)`` returns a callable mapping the values of ``factory.columns()``
    (a list of expressions for ``values_list``) to a light code (``duban.followup.lights.LightCodes``)."""
    global _lights
    _lights = factory


# --- triggers ------------------------------------------------------------------------------------------------

def _sqlite_bump(units: str) -> str:
    # "WHERE u IS NOT NULL" also settles SQLite's parse of an upsert after a SELECT
    return (f"INSERT INTO {STAMPS} (unit_id, version) SELECT DISTINCT u, 1 FROM ({units}) WHERE u IS NOT NULL "
            f"ON CONFLICT (unit_id) DO UPDATE SET version = version + 1;")


def _sqlite_tree(path: str) -> str:
    """The ids of a ``tree_path`` ("/1/5/9/", or "") as a table."""
    return f"SELECT value FROM json_each('[' || replace(trim(coalesce({path}, ''), '/'), '/', ',') || ']')"


def _sqlite_units_of(ids: str) -> str:
    """The units attached to the tasks whose ids ``ids`` selects, as column ``u``."""
    return (f"SELECT coalesce(lead_unit_id, {NO_UNIT}) AS u FROM tasks_task WHERE id IN ({ids}) "
            f"UNION ALL SELECT issuing_unit_id FROM tasks_task WHERE id IN ({ids}) "
            f"UNION ALL SELECT unit_id FROM {COOP} WHERE task_id IN ({ids})")


def _sqlite_row(row: str) -> str:
    """A task row's own units (the values of ``old``/``new``) and those of every task in its tree path."""
    ids = f"SELECT {row}.id UNION ALL {_sqlite_tree(row + '.tree_path')}"
    return (f"SELECT coalesce({row}.lead_unit_id, {NO_UNIT}) AS u UNION ALL SELECT {row}.issuing_unit_id "
            f"UNION ALL {_sqlite_units_of(ids)}")


def _pg_units(rows: str) -> str:
    """The units of the tasks in transition table ``rows`` (as they are there) and of every task in their tree
    paths (as they are now), cooperating ones included, as column ``u``."""
    ids = (f"SELECT id FROM {rows} AS r UNION SELECT p::bigint FROM {rows} AS r, "
           f"unnest(string_to_array(trim(both '/' from r.tree_path), '/')) AS p WHERE r.tree_path <> ''")
    return (f"SELECT coalesce(lead_unit_id, {NO_UNIT}) AS u FROM {rows} AS r "
            f"UNION SELECT issuing_unit_id FROM {rows} AS r "
            f"UNION SELECT coalesce(lead_unit_id, {NO_UNIT}) FROM tasks_task WHERE id IN ({ids}) "
            f"UNION SELECT issuing_unit_id FROM tasks_task WHERE id IN ({ids}) "
            f"UNION SELECT unit_id FROM {COOP} WHERE task_id IN ({ids})")


def _pg_bump(units: str) -> str:
    # in unit order, so two writers never wait for each other's stamps in opposite orders
    return (f"INSERT INTO {STAMPS} (unit_id, version) SELECT u, 1 FROM ({units}) AS x WHERE u IS NOT NULL "
            f"ORDER BY u ON CONFLICT (unit_id) DO UPDATE SET version = {STAMPS}.version + 1;")


def _trigger_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        coop_task = lambda row: (f"SELECT {row}.task_id UNION ALL "  # noqa: E731
                                 + _sqlite_tree(f"(SELECT tree_path FROM tasks_task WHERE id = {row}.task_id)"))
        return [
            f"CREATE TRIGGER IF NOT EXISTS tasks_unit_tally_ai AFTER INSERT ON tasks_task BEGIN "
            f"{_sqlite_bump(_sqlite_row('new'))} END",
            f"CREATE TRIGGER IF NOT EXISTS tasks_unit_tally_au AFTER UPDATE ON tasks_task BEGIN "
            f"{_sqlite_bump(_sqlite_row('old') + ' UNION ALL ' + _sqlite_row('new'))} END",
            f"CREATE TRIGGER IF NOT EXISTS tasks_unit_tally_ad AFTER DELETE ON tasks_task BEGIN "
            f"{_sqlite_bump(_sqlite_row('old'))} END",
            f"CREATE TRIGGER IF NOT EXISTS tasks_unit_tally_ci AFTER INSERT ON {COOP} BEGIN "
            f"{_sqlite_bump(_sqlite_units_of(coop_task('new')))} END",
            f"CREATE TRIGGER IF NOT EXISTS tasks_unit_tally_cd AFTER DELETE ON {COOP} BEGIN "
            f"{_sqlite_bump('SELECT old.unit_id AS u UNION ALL ' + _sqlite_units_of(coop_task('old')))} END",
            f"CREATE TRIGGER IF NOT EXISTS tasks_unit_tally_uu AFTER UPDATE OF path, parent_id ON core_unit "
            f"WHEN old.path IS NOT new.path OR old.parent_id IS NOT new.parent_id BEGIN "
            f"UPDATE {STAMPS} SET version = version + 1; END",
        ]
    if vendor == "postgresql":
        coop_units = (lambda rows: f"SELECT unit_id AS u FROM {rows} UNION "  # noqa: E731
                      + _pg_units(f"(SELECT t.* FROM tasks_task t WHERE t.id IN (SELECT task_id FROM {rows}))"))
        sql = [
            f"""CREATE OR REPLACE FUNCTION tasks_unit_tally_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_pg_bump(_pg_units('new_rows'))}
  ELSIF TG_OP = 'UPDATE' THEN
    {_pg_bump(_pg_units('old_rows') + ' UNION ' + _pg_units('new_rows'))}
  ELSE
    {_pg_bump(_pg_units('old_rows'))}
  END IF;
  RETURN NULL;
END $$""",
            f"""CREATE OR REPLACE FUNCTION tasks_unit_tally_coop() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_pg_bump(coop_units('new_rows'))}
  ELSE
    {_pg_bump(coop_units('old_rows'))}
  END IF;
  RETURN NULL;
END $$""",
            f"""CREATE OR REPLACE FUNCTION tasks_unit_tally_unit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {STAMPS} SET version = version + 1;
  RETURN NULL;
END $$""",
        ]
        sql += [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in _PG_TRIGGERS]
        sql += [
            ("CREATE TRIGGER tasks_unit_tally_ins AFTER INSERT ON tasks_task REFERENCING NEW TABLE AS new_rows "
             "FOR EACH STATEMENT EXECUTE FUNCTION tasks_unit_tally_task()"),
            ("CREATE TRIGGER tasks_unit_tally_upd AFTER UPDATE ON tasks_task REFERENCING OLD TABLE AS old_rows "
             "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tasks_unit_tally_task()"),
            ("CREATE TRIGGER tasks_unit_tally_del AFTER DELETE ON tasks_task REFERENCING OLD TABLE AS old_rows "
             "FOR EACH STATEMENT EXECUTE FUNCTION tasks_unit_tally_task()"),
            (f"CREATE TRIGGER tasks_unit_tally_cins AFTER INSERT ON {COOP} REFERENCING NEW TABLE AS new_rows "
             "FOR EACH STATEMENT EXECUTE FUNCTION tasks_unit_tally_coop()"),
            (f"CREATE TRIGGER tasks_unit_tally_cdel AFTER DELETE ON {COOP} REFERENCING OLD TABLE AS old_rows "
             "FOR EACH STATEMENT EXECUTE FUNCTION tasks_unit_tally_coop()"),
            ("CREATE TRIGGER tasks_unit_tally_uu AFTER UPDATE OF path, parent_id ON core_unit FOR EACH ROW "
             "WHEN (old.path IS DISTINCT FROM new.path OR old.parent_id IS DISTINCT FROM new.parent_id) "
             "EXECUTE FUNCTION tasks_unit_tally_unit()"),
        ]
        return sql
    raise NotImplementedError(vendor)


def install(connection) -> None:
    """Create (or replace) the triggers and mark every unit stale, in the caller's transaction."""
    with connection.cursor() as cursor:
        for sql in _trigger_sql(connection.vendor):
            cursor.execute(sql)
        cursor.execute(f"UPDATE {STAMPS} SET counted = NULL")


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            for name, table in _PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for function in _PG_FUNCTIONS:
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}")


def ensure_unit_tally(using: str = "default") -> bool:
    """Recreate missing triggers after a ``migrate`` or ``flush`` (SQLite drops a rebuilt table's triggers), marking
    every unit stale; True if it had to."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite" or STAMPS not in set(conn.introspection.table_names()):
        return False
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        if set(_SQLITE_TRIGGERS) <= {row[0] for row in cursor.fetchall()}:
            return False
    install(conn)
    return True


# --- counting --------------------------------------------------------------------------------------------------

def _ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def scope_level(path: str) -> int:
    """The level whose rows count a unit subtree rooted at a unit with this ``path`` (its depth), 0 for none."""
    return len(_ids(path))


def _recount(units: list[int], today: dt.date) -> dict[int, dict[tuple, int]]:
    """The rows of ``units`` counted from their tasks: {unit: {(level, area, lead, status, light, late): n}}."""
    from django.db.models import Q

    from duban.core.models import Unit
    from duban.tasks.models import Task, TaskStatus

    paths = {pk: _ids(path or "") for pk, path in Unit.objects.values_list("id", "path")}
    codes = _lights(today)
    coop_model = Task.coop_units.through
    out: dict[int, dict[tuple, int]] = {unit: {} for unit in units}
    for start in range(0, len(units), CHUNK):
        chunk = units[start:start + CHUNK]
        # The ids first, each way of being attached on its own index (an OR of the three, one of them a
        # subquery, makes PostgreSQL scan every task: 5 s at a million tasks), then the rows by id.
        led = Q(lead_unit_id__in=[u for u in chunk if u != NO_UNIT])
        if NO_UNIT in chunk:
            led |= Q(lead_unit_id__isnull=True)
        ids = sorted({pk for (pk,) in plain_rows(
            Task.objects.filter(led).values_list("pk").order_by().union(
                Task.objects.filter(issuing_unit_id__in=chunk).values_list("pk").order_by(),
                coop_model.objects.filter(unit_id__in=chunk).values_list("task_id").order_by()))})
        rows, coops = [], {}
        for start_ids in range(0, len(ids), 10000):
            part = ids[start_ids:start_ids + 10000]
            for task_id, unit_id in plain_rows(coop_model.objects.filter(task_id__in=part)
                                               .values_list("task_id", "unit_id").order_by()):
                coops.setdefault(task_id, []).append(unit_id)
            rows += plain_rows(Task.objects.filter(pk__in=part).exclude(
                status__in=[TaskStatus.DRAFT, TaskStatus.WITHDRAWN]).values_list(
                "id", "area_id", "lead_unit_id", "issuing_unit_id", "status", "deadline", *codes.columns())
                .order_by())
        wanted = set(chunk)
        for task_id, area, lead, issuing, status, deadline, *values in rows:
            light = codes(*values)
            late = deadline is not None and deadline < today
            mine = {u for u in (lead, issuing, *coops.get(task_id, ())) if u is not None}
            rest = (status, light, late)
            if lead is None and NO_UNIT in wanted:
                key = (0, area, None, *rest)
                out[NO_UNIT][key] = out[NO_UNIT].get(key, 0) + 1
            for unit in mine & wanted:
                counts = out[unit]
                if unit == lead:
                    key = (0, area, lead, *rest)
                    counts[key] = counts.get(key, 0) + 1
                path = paths.get(unit, [])
                for depth in range(1, len(path) + 1):
                    root = path[depth - 1]
                    # the first of the task's units under the same ancestor counts it for that ancestor's subtree
                    if unit == min(u for u in mine if len(paths.get(u, ())) >= depth and paths[u][depth - 1] == root):
                        key = (depth, area, lead, *rest)
                        counts[key] = counts.get(key, 0) + 1
    return out


def _store(versions: dict[int, int], recounted: dict[int, dict[tuple, int]], today: dt.date) -> None:
    """Keep the ``recounted`` rows as those of ``today`` for each unit a write has not raised past the version read
    before counting (``versions``; 0: no stamp yet), in one short transaction of five statements. A stamp a writer
    holds is skipped, not waited for (``skip_locked``): its unit is being written, so its rows would be stale."""
    from duban.tasks.models import UnitTally, UnitTallyStamp

    try:
        with transaction.atomic():
            current = dict(UnitTallyStamp.objects.select_for_update(skip_locked=True).filter(
                unit_id__in=sorted(versions)).order_by("unit_id").values_list("unit_id", "version"))
            # a unit without a stamp had no write since the triggers came: one written meanwhile is stamped
            # by the writer (version 1 or more) and the upsert below leaves it stale
            ok = sorted(unit for unit, version in versions.items()
                        if current.get(unit, 0 if version == 0 else None) == version)
            if not ok:
                return
            UnitTally.objects.filter(unit_id__in=ok).delete()
            UnitTally.objects.bulk_create([
                UnitTally(unit_id=unit, level=level, area_id=area, lead_unit_id=lead, status=status, light=light,
                          late=late, n=n)
                for unit in ok for (level, area, lead, status, light, late), n in recounted[unit].items()],
                batch_size=5000)
            UnitTallyStamp.objects.bulk_create(
                [UnitTallyStamp(unit_id=unit, version=versions[unit], counted=versions[unit], day=today)
                 for unit in ok], update_conflicts=True, unique_fields=["unit_id"], update_fields=["counted", "day"])
    except DatabaseError:
        # A busy database (a lock timeout, a deadlock victim) or a read-only one: the figures of this read are
        # right all the same, they are just not kept.
        pass


def _stale(units: list[int] | None, today: dt.date, *, scope: str = "") -> tuple[dict[int, int], dict[int, int]]:
    """The version of each unit asked for (``None``: every unit and unit 0; 0 for a unit without a stamp), and of
    those whose rows are not valid for ``today``. One query."""
    versions, stale, _ = _stamps(units, today, scope)
    return versions, stale


def _stamps(units: list[int] | None, today: dt.date, scope: str) -> tuple[dict, dict, tuple | None]:
    """``_stale``, and the kept sum of the scope keyed ``scope`` as (signature, counts as JSON text) if there is
    one, read by the same statement (a dashboard's queries are counted)."""
    where, params = "", []
    if units is not None:
        if not units:
            return {}, {}, None
        where = f"WHERE u.id IN ({', '.join(['%s'] * len(units))})"
        params = list(units)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT u.id, s.version, s.counted, s.day, NULL AS signature, NULL AS counts FROM "
                       f"(SELECT {NO_UNIT} AS id UNION ALL SELECT id FROM core_unit) AS u "
                       f"LEFT JOIN {STAMPS} s ON s.unit_id = u.id {where} "
                       f"UNION ALL SELECT NULL, NULL, NULL, NULL, signature, CAST(counts AS text) FROM {SCOPES} "
                       f"WHERE key = %s", [*params, scope])
        rows = cursor.fetchall()
    versions, stale, kept = {}, {}, None
    for unit, version, counted, day, signature, counts in rows:
        if unit is None:
            kept = (signature, counts)
            continue
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        versions[unit] = version or 0
        if version is None or counted != version or day != today:
            stale[unit] = version or 0
    return versions, stale, kept


def _sum(units: list[int], stale: dict[int, int], level: int, today: dt.date) -> dict[tuple, int]:
    """The rows at ``level`` of ``units`` summed: the ``stale`` ones recounted first (and kept), the others read."""
    from duban.tasks.models import UnitTally

    out: dict[tuple, int] = {}

    def add(key: tuple, n: int) -> None:
        out[key] = out.get(key, 0) + n

    if stale:
        recounted = _recount(sorted(stale), today)
        _store(stale, recounted, today)
        for rows in recounted.values():
            for (row_level, *key), n in rows.items():
                if row_level == level:
                    add(tuple(key), n)
    fresh = [unit for unit in units if unit not in stale]
    if fresh:
        for *key, n in plain_rows(UnitTally.objects.filter(level=level, unit_id__in=fresh).values_list(
                "area_id", "lead_unit_id", "status", "light", "late").annotate(n=Sum("n")).order_by()):
            add((key[0], key[1], key[2], key[3], bool(key[4])), n)
    return out


def kept_counts(units: list[int] | None, level: int, today: dt.date) -> dict[tuple, int]:
    """The tasks counted at ``level`` over ``units`` (``None``: every unit and unit 0) on ``today``:
    {(area, lead unit, status, light, late): n}. The units whose rows are stale are recounted first (and kept);
    the others are read as they are."""
    versions, stale = _stale(None if units is None else sorted(set(units)), today)
    return _sum(sorted(versions), stale, level, today)


def kept_figures(units: list[int] | None, level: int, today: dt.date) -> dict[tuple, int]:
    """``kept_counts`` per axis: {("area", area, status, light, late): n} and {("lead", lead unit, ...): n}, what a
    dashboard shows (the figures per area and per lead unit, never per both). The sum is kept for the scope
    (``UnitTallyScope``) under the versions of its units and the day, so a scope no write touched since is one
    row to read; one a write touched is summed again from its units' rows (and those recounted)."""
    from duban.tasks.models import UnitTallyScope

    asked = None if units is None else sorted(set(units))
    key = hashlib.sha256(f"{level}|{'all' if asked is None else asked}".encode()).hexdigest()
    versions, stale, kept = _stamps(asked, today, key)
    members = sorted(versions)
    signature = hashlib.sha256(f"{today}|{sorted(versions.items())}".encode()).hexdigest()
    if not stale and kept is not None and kept[0] == signature:
        return {tuple(row[:-1]): row[-1] for row in json.loads(kept[1])}
    out: dict[tuple, int] = {}
    for (area, lead, status, light, late), n in _sum(members, stale, level, today).items():
        for axis_key in (("area", area, status, light, late), ("lead", lead, status, light, late)):
            out[axis_key] = out.get(axis_key, 0) + n
    try:
        with transaction.atomic():
            UnitTallyScope.objects.bulk_create(
                [UnitTallyScope(key=key, signature=signature, counts=[[*k, n] for k, n in out.items() if n])],
                update_conflicts=True, unique_fields=["key"], update_fields=["signature", "counts"])
    except DatabaseError:
        pass  # as in _store: right all the same, only not kept
    return out


def refresh_all(today: dt.date) -> int:
    """Recount every stale unit for ``today`` (the follow-up pass's: the first reader of a day then pays nothing),
    a chunk of units at a time; the number of units recounted."""
    _, stale = _stale(None, today)
    units = sorted(stale)
    for start in range(0, len(units), CHUNK):
        chunk = units[start:start + CHUNK]
        _store({unit: stale[unit] for unit in chunk}, _recount(chunk, today), today)
    return len(units)
