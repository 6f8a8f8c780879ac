"""duban and Redmine 5 side by side on one machine, the same data in both, on the same database engine.

For each engine (SQLite, then PostgreSQL on a throwaway loopback cluster, see bench/pgcluster.py):

1. duban's database is seeded by ``duban seed-bench --tasks N`` (as in ``make bench``);
2. Redmine 5.0 from Debian's packages (installed with apt-get when missing) gets an instance of its own under
   /usr/share/redmine/instances/ (removed after), its schema (``rake db:migrate``) and default data (Chinese), and
   the same rows copied into it by SQL (bench/peer/mapping.py);
3. both run on loopback in production mode: duban under gunicorn (``duban serve --workers 2``, 4 threads each, and
   a second one-worker server with the figures cache off), Redmine under Debian's puma (2 workers, 1-5 threads);
4. one client, signed in on both as the office's supervisor (a Redmine administrator), requests each pair of
   comparable pages in turn (duban, Redmine, Redmine, duban, ...), in --runs runs; then 8 client threads against
   each server's API list (alternating which goes first), then each server's memory (VmRSS / VmHWM).

    .venv/bin/python bench/peer/redmine_bench.py                                # both engines, 100k tasks
    .venv/bin/python bench/peer/redmine_bench.py --backends sqlite --tasks 20000 --runs 1

A database seeded before (a million tasks take a quarter of an hour to seed) is compared as it is, read-only, with
Redmine in a database of its own on the same PostgreSQL server that the copy reads duban's through postgres_fdw;
a Redmine database that already holds the copy is reused (drop it to copy again):

    .venv/bin/python bench/peer/redmine_bench.py --duban-database-url postgres://postgres@127.0.0.1:5499/duban_scale \
        --redmine-database-url postgres://postgres@127.0.0.1:5499/redmine_1m

Figures go to /tmp/duban-peer-results/peer-<engine>.json (--out) and a Markdown table to stdout; each engine's
progress to peer-<engine>.log and Redmine's own request log (time in views and in SQL) to redmine-<engine>.log there.
Needs root (apt-get, and Redmine's instance directory); nothing of Redmine is kept in this repository.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))  # the other benchmarks import their neighbours (benchenv) by name
PY = sys.executable
REDMINE = Path("/usr/share/redmine")
PACKAGES = ("redmine", "redmine-sqlite", "redmine-pgsql", "puma")


# --- Redmine from Debian ------------------------------------------------------------------------------------------

def install_redmine() -> None:
    """apt-get install Redmine (SQLite and PostgreSQL adapters) and puma when any is missing."""
    missing = [p for p in PACKAGES
               if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return
    print(f"installing {' '.join(missing)} from Debian ...", flush=True)
    # the package would otherwise ask for a database of its own default instance; ours are made below
    subprocess.run(["debconf-set-selections"], input=b"redmine redmine/instances/default/dbconfig-install boolean "
                   b"false\n", check=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL)


def redmine_version() -> str:
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "redmine"], capture_output=True,
                          text=True).stdout


@contextlib.contextmanager
def redmine_instance(database_yml: str, keep_log: Path | None = None):
    """A Debian Redmine instance of our own (config, log, tmp and files in a temporary directory); yields its env.
    Its production.log (each request's time split into views and ActiveRecord) is copied to ``keep_log``."""
    name = f"dubanpeer{os.getpid()}"
    root = Path(tempfile.mkdtemp(prefix="duban-peer-redmine-"))
    link = REDMINE / "instances" / name
    for d in ("config", "log", "tmp/cache", "files"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "config" / "database.yml").write_text(database_yml, encoding="utf-8")
    (root / "config" / "secret_key.txt").write_text(secrets.token_hex(64), encoding="utf-8")
    link.mkdir()
    try:
        for d in ("config", "log", "tmp", "files"):
            (link / d).symlink_to(root / d)
        # Rails would take duban's DATABASE_URL over the instance's database.yml
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("DUBAN_")}
        yield dict(env, REDMINE_INSTANCE=name, RAILS_ENV="production", REDMINE_LANG="zh"), root
    finally:
        if keep_log and (root / "log" / "production.log").exists():
            shutil.copyfile(root / "log" / "production.log", keep_log)
        shutil.rmtree(link, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


def rake(env: dict, *tasks: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([str(REDMINE / "bin" / "rake"), *tasks], cwd=REDMINE, env=env, capture_output=True,
                          text=True)
    if proc.returncode:
        raise RuntimeError(f"rake {' '.join(tasks)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[:3000]}")
    return time.perf_counter() - t0


# --- copying duban's rows into Redmine ---------------------------------------------------------------------------

def copy_rows(conn, dialect, mark: str, *, login: str, password: str, api_key: str) -> dict:
    """Run the copy in one transaction on ``conn`` (which sees both databases); returns seconds per step."""
    from bench.peer import mapping

    src, dst = dialect.src, dialect.dst
    seconds = {}
    salt = secrets.token_hex(16)
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    cur = conn.cursor()
    t0 = time.perf_counter()
    cur.execute(f"SELECT id, name, parent_id, sort_order FROM {src}.core_unit")
    rows = mapping.project_rows(cur.fetchall(), now)
    cols = mapping.PROJECT_COLUMNS
    cur.executemany(f"INSERT INTO {dst}.projects ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})", rows)
    seconds["projects"] = time.perf_counter() - t0
    for name, sql in mapping.copy_statements(dialect, password_hash=mapping.redmine_password(password, salt),
                                             salt=salt):
        t0 = time.perf_counter()
        cur.execute(sql)
        seconds[name] = time.perf_counter() - t0
    cur.execute(f"INSERT INTO {dst}.tokens (user_id, action, value, created_on, updated_on) "
                f"SELECT u.id + {mapping.USER_OFFSET}, 'api', {mark}, {mark}, {mark} FROM {src}.auth_user u "
                f"WHERE u.username = {mark}", (api_key, now, now, login))
    conn.commit()
    return seconds


def copy_into_redmine(backend: str, url: str, redmine_db: Path | None, dialect=None, **kw) -> dict:
    from bench.peer import mapping

    if backend == "sqlite":
        import sqlite3

        conn = sqlite3.connect(redmine_db)
        conn.execute("ATTACH DATABASE ? AS duban", (urlsplit(url).path,))
        seconds = copy_rows(conn, mapping.SQLITE, "?", **kw)
        t0 = time.perf_counter()
        conn.execute("ANALYZE")
        seconds["analyze"] = time.perf_counter() - t0
        conn.close()
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            conn.execute("SET TIME ZONE 'UTC'")
            seconds = copy_rows(conn, dialect or mapping.POSTGRESQL, "%s", **kw)
        with psycopg.connect(url, autocommit=True) as conn:
            t0 = time.perf_counter()
            conn.execute("VACUUM ANALYZE")  # as duban's seed does: visibility map and statistics for both
            seconds["analyze"] = time.perf_counter() - t0
    return seconds


def counts(backend: str, url: str, redmine_db: Path | None, src_schema: str = "public") -> dict:
    """Rows on each side, read back after the copy."""
    pairs = {"tasks / issues": ("tasks_task", "issues"), "reports / journals": ("tasks_progressreport", "journals"),
             "units / projects": ("core_unit", "projects"), "meetings / versions": ("meetings_meeting", "versions"),
             "cooperation links / watchers": ("tasks_task_coop_units", "watchers")}
    if backend == "sqlite":
        import sqlite3

        conn = sqlite3.connect(redmine_db)
        conn.execute("ATTACH DATABASE ? AS duban", (urlsplit(url).path,))
        src, dst = "duban", "main"
    else:
        import psycopg

        conn = psycopg.connect(url)
        src, dst = src_schema, "redmine"
    out = {}
    for label, (a, b) in pairs.items():
        out[label] = [conn.execute(f"SELECT COUNT(*) FROM {src}.{a}").fetchone()[0],
                      conn.execute(f"SELECT COUNT(*) FROM {dst}.{b}").fetchone()[0]]
    conn.close()
    return out


# duban's tables the copy and the row counts read (bench/peer/mapping.py)
SOURCE_TABLES = ("auth_user", "core_profile", "core_unit", "meetings_meeting", "tasks_task", "tasks_progressreport",
                 "tasks_task_coop_units")


def redmine_database(redmine_url: str, duban_url: str) -> bool:
    """Prepare Redmine's own PostgreSQL database beside duban's: created when missing, Redmine's tables in its schema
    ``redmine``, duban's tables readable as the foreign schema ``duban`` (postgres_fdw, read only). True when it
    already holds a copy (issues), which is then reused."""
    import psycopg

    r, d = urlsplit(redmine_url), urlsplit(duban_url)
    name = r.path.lstrip("/")
    with psycopg.connect(r._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(redmine_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS redmine")
        if conn.execute("SELECT to_regclass('redmine.issues') IS NOT NULL").fetchone()[0] and \
                conn.execute("SELECT EXISTS (SELECT 1 FROM redmine.issues)").fetchone()[0]:
            return True
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgres_fdw")
        conn.execute("DROP SCHEMA IF EXISTS duban CASCADE")
        conn.execute("DROP SERVER IF EXISTS duban_source CASCADE")
        # a bigger fetch than the default 100 rows: the copy streams millions of rows
        conn.execute(f"CREATE SERVER duban_source FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '{d.hostname}', "
                     f"port '{d.port or 5432}', dbname '{d.path.lstrip('/')}', fetch_size '10000', "
                     f"options '-c default_transaction_read_only=on')")
        conn.execute(f"CREATE USER MAPPING FOR CURRENT_USER SERVER duban_source OPTIONS (user '{d.username}')")
        conn.execute("CREATE SCHEMA duban")
        conn.execute(f"IMPORT FOREIGN SCHEMA public LIMIT TO ({', '.join(SOURCE_TABLES)}) FROM SERVER duban_source "
                     f"INTO duban")
    return False


# --- servers and the client ---------------------------------------------------------------------------------------

def wait_port(port: int, proc: subprocess.Popen, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.3)


@contextlib.contextmanager
def server(cmd: list[str], cwd, env: dict, port: int, what: str, log: Path):
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_port(port, proc, f"{what} (log: {log})")
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Client:
    """One keep-alive HTTP connection to a server on loopback, with the headers of a signed-in user."""

    def __init__(self, port: int, headers: dict | None = None):
        self.port, self.headers = port, dict(headers or {})
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        h = {**self.headers, **(headers or {})}
        try:
            self.conn.request(method, quote(path, safe="/?=&%"), body=body, headers=h)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()  # the server closed an idle keep-alive connection: open a new one once
            self.conn.request(method, quote(path, safe="/?=&%"), body=body, headers=h)
            resp = self.conn.getresponse()
        data = resp.read()
        return resp, data

    def get(self, path: str):
        return self.request("GET", path)

    def timed(self, path: str) -> tuple[float, int, int]:
        t0 = time.perf_counter()
        resp, data = self.get(path)
        return time.perf_counter() - t0, resp.status, len(data)


def cookies_of(resp) -> dict:
    out = {}
    for k, v in resp.getheaders():
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            out[name.strip()] = rest.split(";", 1)[0]
    return out


def redmine_login(port: int, login: str, password: str) -> Client:
    c = Client(port)
    resp, data = c.get("/login")
    jar = cookies_of(resp)
    token = re.search(rb'name="authenticity_token" value="([^"]+)"', data).group(1).decode()
    body = urlencode({"username": login, "password": password, "authenticity_token": token, "back_url": "/"})
    resp, _ = c.request("POST", "/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    jar.update(cookies_of(resp))
    if resp.status != 302 or "/login" in (resp.getheader("Location") or ""):
        raise RuntimeError(f"Redmine sign-in failed: HTTP {resp.status} {resp.getheader('Location')}")
    c.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
    return c


def rss_tree(pid: int) -> list[dict]:
    """VmRSS and VmHWM (kB) of a process and its children (gunicorn or puma master and workers)."""
    from bench.throughput_bench import children, rss_kb

    out = [{"pid": pid, **rss_kb(pid)}]
    for kid in children(pid):
        with contextlib.suppress(OSError):
            out.append({"pid": kid, **rss_kb(kid)})
    return out


# --- the pages compared -----------------------------------------------------------------------------------------

def redmine_filters(yesterday: str) -> dict[str, str]:
    """Redmine's query string of each of duban's list filters (statuses mapped as in bench/peer/mapping.py).
    duban's overdue: open (not draft) and the deadline before today; ``yesterday`` is in duban's time zone."""
    from bench.peer.mapping import STATUS_MAP

    open_ids = "".join(f"&v[status_id][]={STATUS_MAP[s]}"
                       for s in ("assigned", "accepted", "in_progress", "close_requested", "returned"))
    return {
        "not withdrawn": f"set_filter=1&f[]=status_id&op[status_id]=!&v[status_id][]={STATUS_MAP['withdrawn']}",
        "in_progress": f"set_filter=1&f[]=status_id&op[status_id]==&v[status_id][]={STATUS_MAP['in_progress']}",
        "overdue": f"set_filter=1&f[]=status_id&op[status_id]=={open_ids}"
                   f"&f[]=due_date&op[due_date]=<=&v[due_date][]={yesterday}",
    }


def page_pairs(t: dict, yesterday: str) -> list[tuple[str, str, str]]:
    """(name, duban path, Redmine path). Both list 50 rows a page and leave out withdrawn (Rejected) tasks, as
    duban's list does by default; ``t`` holds the ids chosen in ``targets``. "COLD " marks the duban server with its
    figures cache off, "API " the Redmine client signed in by API key."""
    f = redmine_filters(yesterday)
    everything = f"/issues?per_page=50&{f['not withdrawn']}"
    api = f"API /issues.json?limit=50&{f['not withdrawn']}"
    return [
        ("list, page 1", "/tasks/", everything),
        ("list, page 100", "/tasks/?page=100", everything + "&page=100"),
        ("list by status (办理中)", "/tasks/?status=in_progress", f"/issues?per_page=50&{f['in_progress']}"),
        ("list by unit", f"/tasks/?unit={t['unit']}", f"/projects/u{t['unit']}/issues?per_page=50&{f['not withdrawn']}"),
        ("list overdue", "/tasks/?overdue=1", f"/issues?per_page=50&{f['overdue']}"),
        ("detail with history", f"/tasks/{t['task']}/", f"/issues/{t['task']}"),
        ("counts by unit × status (cache on)", "/reports/", f"/projects/u{t['root']}/issues/report"),
        ("counts by unit × status (cache off)", "COLD /reports/", f"/projects/u{t['root']}/issues/report"),
        ("search 燃气", "/search/?q=燃气", "/search?q=燃气"),
        ("API list, page 1", "/api/v1/tasks", api),
        ("API list, page 100", "/api/v1/tasks?page=100", api + "&offset=4950"),
        # what any signed-in page costs on each side (the session, the user, the layout): the floor under the rest
        ("my account (a light signed-in page)", "/accounts/me/", "/my/account"),
    ]


def targets() -> dict:
    """The same ids pages_bench uses (the busiest lead unit, the newest task in progress) and the top unit."""
    from bench.pages_bench import pick_targets
    from duban.core.models import Unit

    t = pick_targets()
    t["root"] = Unit.objects.filter(parent__isnull=True).order_by("id").values_list("id", flat=True).first()
    return t


def same_rows(duban: Client, redmine: Client, t: dict, yesterday: str) -> dict:
    """Total rows of each list on both sides, from the APIs (duban's ``count``, Redmine's ``total_count``)."""
    f = redmine_filters(yesterday)
    checks = {
        "all but withdrawn": ("/api/v1/tasks", f"/issues.json?limit=1&{f['not withdrawn']}"),
        "办理中": ("/api/v1/tasks?status=in_progress", f"/issues.json?limit=1&{f['in_progress']}"),
        "overdue": ("/api/v1/tasks?overdue=true", f"/issues.json?limit=1&{f['overdue']}"),
        "unit (duban: lead or cooperating; Redmine: its project)": (
            f"/api/v1/tasks?unit_id={t['unit']}", f"/projects/u{t['unit']}/issues.json?limit=1&{f['not withdrawn']}"),
    }
    out = {}
    for name, (a, b) in checks.items():
        _, da = duban.get(a)
        _, db = redmine.get(b)
        out[name] = [json.loads(da).get("count"), json.loads(db).get("total_count")]
    return out


def measure_pages(pairs, clients: dict, runs: int, iterations: int) -> list[dict]:
    """Interleaved single-client timings: in each run, each pair's requests alternate between the two servers."""
    rows = []
    for name, d_path, r_path in pairs:
        dk, d_path = ("duban_cold", d_path[5:]) if d_path.startswith("COLD ") else ("duban", d_path)
        rk, r_path = ("redmine_api", r_path[4:]) if r_path.startswith("API ") else ("redmine", r_path)
        dc, rc = clients[dk], clients[rk]
        row = {"page": name, "duban_url": d_path, "redmine_url": r_path, "duban": [], "redmine": [], "runs": [],
               "clients": (dk, rk)}
        # once each before timing: the caches a first request fills (duban's figures, Rails' compiled views)
        d0, d_status, d_bytes = dc.timed(d_path)
        r0, r_status, r_bytes = rc.timed(r_path)
        row.update(duban_status=d_status, redmine_status=r_status, duban_bytes=d_bytes, redmine_bytes=r_bytes)
        # a pair whose slower side takes seconds gets fewer requests: the three runs still show its spread
        n = iterations if max(d0, r0) < 1 else max(3, min(iterations, int(6 / max(d0, r0))))
        rows.append(row)
        row["n_per_run"] = n
    for run in range(runs):
        for row in rows:
            dc, rc = (clients[k] for k in row["clients"])
            ds, rs = [], []
            for i in range(row["n_per_run"]):
                first, second = ((dc, row["duban_url"], ds), (rc, row["redmine_url"], rs))[::1 if i % 2 == 0 else -1]
                for client, path, sink in (first, second):
                    s, status, _ = client.timed(path)
                    if status != 200:
                        raise RuntimeError(f"{path}: HTTP {status}")
                    sink.append(s)
            row["duban"] += ds
            row["redmine"] += rs
            row["runs"].append([statistics.median(ds) * 1000, statistics.median(rs) * 1000])
            print(f"run {run + 1}  {row['page']:<38} duban {statistics.median(ds) * 1000:8.1f} ms   "
                  f"Redmine {statistics.median(rs) * 1000:8.1f} ms", flush=True)
    for row in rows:
        from bench.pages_bench import percentile

        d, r = row.pop("duban"), row.pop("redmine")
        row.update(duban_median_ms=statistics.median(d) * 1000, duban_p95_ms=percentile(d, 95) * 1000,
                   redmine_median_ms=statistics.median(r) * 1000, redmine_p95_ms=percentile(r, 95) * 1000,
                   n=len(d), ratio=statistics.median(d) / statistics.median(r))
    return rows


def throughput(duban_port: int, duban_cookie: str, redmine_port: int, api_key: str, runs: int, seconds: float,
               threads: int, yesterday: str) -> list[dict]:
    """Requests per second of each API list (pages 1-20, 50 rows each) under ``threads`` client threads."""
    from bench.throughput_bench import load

    d_paths = [f"/api/v1/tasks?page={p}" for p in range(1, 21)]
    r_paths = [quote(f"/issues.json?limit=50&{redmine_filters(yesterday)['not withdrawn']}&page={p}", safe="/?=&")
               for p in range(1, 21)]
    out = []
    for run in range(runs):
        for side in (("duban", "redmine") if run % 2 == 0 else ("redmine", "duban")):
            if side == "duban":
                r = load(duban_port, duban_cookie, d_paths, seconds, threads)
            else:
                r = load(redmine_port, "", r_paths, seconds, threads, headers={"X-Redmine-API-Key": api_key})
            r.update(side=side, run=run + 1)
            print(f"throughput run {run + 1} {side}: {r['rps']:.1f} req/s, median {r['median_ms'] or 0:.0f} ms, "
                  f"{r['errors']} errors", flush=True)
            out.append(r)
    return out


# --- one engine (a child process: Django is set up once per process, on that engine's DATABASE_URL) -------------

def database_yml(backend: str, url: str, redmine_db: Path) -> str:
    if backend == "sqlite":
        return f"production:\n  adapter: sqlite3\n  database: {redmine_db}\n  timeout: 5000\n  encoding: utf8\n"
    u = urlsplit(url)
    # Redmine's tables in a schema of duban's own database: one connection sees both for the copy
    return (f"production:\n  adapter: postgresql\n  database: {u.path.lstrip('/')}\n  host: {u.hostname}\n"
            f"  port: {u.port}\n  username: {u.username}\n  schema_search_path: redmine\n  encoding: utf8\n")


def one_engine(args) -> dict:
    from bench.throughput_bench import ENV, free_port, session_cookie

    backend, url = args.one, os.environ["DATABASE_URL"]
    # Redmine's database: duban's own (schema redmine) unless a database of its own was given
    redmine_url = os.environ.get("DUBAN_PEER_REDMINE_URL") or url
    apart = redmine_url != url
    data_dir = Path(os.environ["DUBAN_DATA_DIR"])
    if apart:
        from benchenv import django_setup, stored_session

        django_setup()
        from duban.core.models import Profile

        cookie = stored_session(Profile.objects.select_related("user").filter(role="supervisor")
                                .order_by("id").first().user)
    else:
        cookie, _ = session_cookie()  # sets Django up on DATABASE_URL
    import datetime as dt

    from django.db import connections

    from duban.perf.seed import BENCH_PASSWORD
    from duban.tasks.selectors import today_local

    t = targets()
    yesterday = str(today_local() - dt.timedelta(days=1))
    connections.close_all()
    result: dict = {"backend": backend, "targets": t, "redmine": redmine_version(), "yesterday": yesterday}
    redmine_db = data_dir / "redmine.sqlite3"
    copied = False
    if apart:
        copied = redmine_database(redmine_url, url)
    elif backend != "sqlite":
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA redmine")
    login = "bench-supervisor"
    api_key = secrets.token_hex(20)
    keep_log = Path(args.out) / f"redmine-{backend}.log"
    with redmine_instance(database_yml(backend, redmine_url, redmine_db), keep_log) as (renv, _), \
            contextlib.ExitStack() as stack:
        if copied:  # the copy of an earlier run: its API key is read back
            import psycopg

            with psycopg.connect(redmine_url) as conn:
                api_key = conn.execute("SELECT t.value FROM redmine.tokens t JOIN redmine.users u ON u.id = t.user_id "
                                       "WHERE t.action = 'api' AND u.login = %s", (login,)).fetchone()[0]
            result["copy_reused"] = True
        else:
            result["redmine_migrate_s"] = rake(renv, "db:migrate")
            result["redmine_default_data_s"] = rake(renv, "redmine:load_default_data")
            t0 = time.perf_counter()
            if apart:
                from bench.peer import mapping

                result["copy_s"] = copy_into_redmine(backend, redmine_url, None, mapping.Dialect(
                    "postgresql", "duban", "redmine"), login=login, password=BENCH_PASSWORD, api_key=api_key)
            else:
                result["copy_s"] = copy_into_redmine(backend, url, redmine_db, login=login, password=BENCH_PASSWORD,
                                                     api_key=api_key)
            result["copy_total_s"] = time.perf_counter() - t0
        result["rows"] = counts(backend, redmine_url, redmine_db, "duban" if apart else "public")
        if args.copy_only:
            return result
        print("rows (duban, Redmine):", result["rows"], "copy", f"{result.get('copy_total_s', 0):.1f}s", flush=True)
        ports = {"duban": free_port(), "duban_cold": free_port(), "redmine": free_port()}
        env = dict(os.environ, **ENV)
        if backend != "sqlite":  # as docs/deployment.md says for PostgreSQL (Redmine keeps a pool of 5)
            env.setdefault("DUBAN_DB_CONN_MAX_AGE", "60")
        serve = [PY, "-m", "duban.cli", "serve", "--no-scheduler", "--no-migrate", "--port"]
        procs = {
            "duban": stack.enter_context(server([*serve, str(ports["duban"]), "--workers", "2"], REPO, env,
                                                ports["duban"], "duban", data_dir / "duban-serve.log")),
            "duban_cold": stack.enter_context(server(
                [*serve, str(ports["duban_cold"]), "--workers", "1"], REPO,
                dict(env, DUBAN_STATS_CACHE_SECONDS="0"), ports["duban_cold"], "duban (cache off)",
                data_dir / "duban-cold-serve.log")),
            "redmine": stack.enter_context(server(
                ["puma", "--environment", "production", "--workers", "2", "--threads", "1:5",
                 "--bind", f"tcp://127.0.0.1:{ports['redmine']}", "config.ru"], REDMINE, renv, ports["redmine"],
                "Redmine (puma)", data_dir / "redmine-puma.log")),
        }
        # puma listens before its workers have loaded Redmine
        deadline = time.monotonic() + 180
        while True:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if Client(ports["redmine"]).get("/login")[0].status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("Redmine did not answer /login")
            time.sleep(1)
        clients = {"duban": Client(ports["duban"], {"Cookie": f"sessionid={cookie}"}),
                   "duban_cold": Client(ports["duban_cold"], {"Cookie": f"sessionid={cookie}"}),
                   "redmine": redmine_login(ports["redmine"], login, BENCH_PASSWORD),
                   "redmine_api": Client(ports["redmine"], {"X-Redmine-API-Key": api_key})}
        result["same_rows"] = same_rows(clients["duban"], clients["redmine_api"], t, yesterday)
        print("list totals (duban, Redmine):", result["same_rows"], flush=True)
        t0 = time.perf_counter()
        pairs = [p for p in page_pairs(t, yesterday)
                 if not args.pages or any(w.strip() in p[0] for w in args.pages.split(","))]
        result["pages"] = measure_pages(pairs, clients, args.runs, args.iterations)
        result["pages_s"] = time.perf_counter() - t0
        result["throughput"] = throughput(ports["duban"], cookie, ports["redmine"], api_key, args.runs, args.seconds,
                                          args.threads, yesterday)
        result["rss_kb"] = {k: rss_tree(p.pid) for k, p in procs.items()}
    return result


# --- the driver ---------------------------------------------------------------------------------------------------

def markdown(r: dict) -> str:
    engine = {"sqlite": "SQLite", "pg": "PostgreSQL"}.get(r["backend"], r["backend"])
    lines = [f"| page ({engine}, {r['tasks']:,} tasks) | duban median (p95) ms | Redmine median (p95) ms | duban ÷ "
             "Redmine | medians of the runs, duban / Redmine ms |", "| --- | ---: | ---: | ---: | --- |"]
    for p in r["pages"]:
        runs = ", ".join(f"{a:.0f} / {b:.0f}" for a, b in p["runs"])
        lines.append(f"| {p['page']} | {p['duban_median_ms']:.1f} ({p['duban_p95_ms']:.1f}) | "
                     f"{p['redmine_median_ms']:.1f} ({p['redmine_p95_ms']:.1f}) | {p['ratio']:.3f} | {runs} |")
    lines.append("")
    for side in ("duban", "redmine"):
        tp = [x for x in r["throughput"] if x["side"] == side]
        rps = ", ".join(f"{x['rps']:.1f}" for x in tp)
        med = statistics.median(x["rps"] for x in tp)
        errors = sum(x["errors"] for x in tp)
        lines.append(f"- {side}: API list under {tp[0]['threads']} client threads: {rps} req/s (median {med:.1f}), "
                     f"{errors} errors")
    for side, procs in r["rss_kb"].items():
        parts = ", ".join(f"{p['VmRSS'] / 1024:.0f} MB (peak {p['VmHWM'] / 1024:.0f})" for p in procs)
        lines.append(f"- RSS {side}: {parts}")
    lines.append(f"- rows (duban, Redmine): {r['rows']}; list totals from both APIs: {r['same_rows']}")
    if r.get("copy_reused"):
        lines.append(f"- Redmine's copy of an earlier run reused; pages {r['pages_s']:.0f} s; whole engine "
                     f"{r['engine_s']:.0f} s")
    else:
        lines.append(f"- duban seed {r['seed_s']:.0f} s; Redmine schema {r['redmine_migrate_s']:.0f} s, default "
                     f"data {r['redmine_default_data_s']:.0f} s, copy {r['copy_total_s']:.0f} s; pages "
                     f"{r['pages_s']:.0f} s; whole engine {r['engine_s']:.0f} s")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,pg")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=10, help="requests of each page per side and run")
    parser.add_argument("--seconds", type=float, default=15, help="of each throughput load")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--out", default="/tmp/duban-peer-results")
    parser.add_argument("--duban-database-url", help="a seeded duban PostgreSQL database, compared as it is and "
                        "never written (no migrate, no seed)")
    parser.add_argument("--redmine-database-url", help="with --duban-database-url: Redmine's database on the same "
                        "server (created when missing; a copy already in it is reused)")
    parser.add_argument("--copy-only", action="store_true", help="copy into Redmine's database, measure nothing")
    parser.add_argument("--pages", help="only the pairs whose name contains one of these comma-separated words")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process of one engine
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.one:
        r = one_engine(args)
        (out_dir / f"peer-{args.one}.json").write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    if os.geteuid() != 0:
        raise SystemExit("run as root: Redmine comes from apt-get, and its instance lives under /usr/share/redmine")
    install_redmine()
    from bench.run_all import database, machine, run

    summary = {"machine": machine(), "runs": []}
    child = [PY, str(Path(__file__).resolve()), "--out", str(out_dir), "--runs", str(args.runs), "--iterations",
             str(args.iterations), "--seconds", str(args.seconds), "--threads", str(args.threads)]
    child += ["--copy-only"] if args.copy_only else []
    child += ["--pages", args.pages] if args.pages else []
    with open(out_dir / "run.log", "w", encoding="utf-8") as log:
        backends = ["pg"] if args.duban_database_url else [b.strip() for b in args.backends.split(",")]
        for backend in backends:
            t0 = time.perf_counter()
            if args.duban_database_url:
                seed_s = 0.0
                url = args.duban_database_url
                redmine_url = args.redmine_database_url
                if not redmine_url or urlsplit(redmine_url).path == urlsplit(url).path:
                    raise SystemExit("--duban-database-url needs --redmine-database-url, another database")
                redmine_database(redmine_url, url)  # created here: duban's sessions go there too
                data_dir = tempfile.mkdtemp(prefix="duban-peer-data-")
                # every transaction of duban's read-only: a write would fail the run, not change the database
                ro = f"{url}{'&' if '?' in url else '?'}options=-c%20default_transaction_read_only%3Don"
                env = dict(os.environ, DATABASE_URL=ro, DUBAN_DATA_DIR=data_dir,
                           DUBAN_PEER_REDMINE_URL=redmine_url, DJANGO_SETTINGS_MODULE="bench.peer.readonly_settings")
                print(f"=== {backend}: Redmine {redmine_version()}, copy, measure ===", flush=True)
                run([PY, "-m", "django", "migrate", "sessions", "--database", "sessions"], env, log)
                with open(out_dir / f"peer-{backend}.log", "w", encoding="utf-8") as progress:
                    subprocess.run([*child, "--one", backend], cwd=REPO, env=env, stdout=progress,
                                   stderr=subprocess.STDOUT, check=True)
                shutil.rmtree(data_dir, ignore_errors=True)
            else:
                with database(backend) as (url, data_dir):
                    env = dict(os.environ, DATABASE_URL=url, DUBAN_DATA_DIR=data_dir)
                    print(f"\n=== {backend}: migrate and seed {args.tasks} tasks ===", flush=True)
                    run([PY, "-m", "duban.cli", "migrate"], env, log)
                    seed_s = run([PY, "-m", "duban.cli", "seed-bench", "--no-migrate", "--tasks", str(args.tasks)],
                                 env, log)
                    print(f"=== {backend}: Redmine {redmine_version()}, copy, measure ===", flush=True)
                    # its progress goes to peer-<engine>.log as it happens (a run takes minutes)
                    with open(out_dir / f"peer-{backend}.log", "w", encoding="utf-8") as progress:
                        subprocess.run([*child, "--one", backend], cwd=REPO, env=env, stdout=progress,
                                       stderr=subprocess.STDOUT, check=True)
            r = json.loads((out_dir / f"peer-{backend}.json").read_text(encoding="utf-8"))
            r.update(tasks=r["rows"]["tasks / issues"][0], seed_s=seed_s,
                     engine_s=time.perf_counter() - t0)
            (out_dir / f"peer-{backend}.json").write_text(json.dumps(r, ensure_ascii=False, indent=1),
                                                          encoding="utf-8")
            summary["runs"].append(r)
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\n## machine\n", summary["machine"])
    for r in summary["runs"]:
        print("\n" + (markdown(r) if "pages" in r else json.dumps(r, ensure_ascii=False, indent=1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
