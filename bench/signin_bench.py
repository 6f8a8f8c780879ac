"""Peak memory of the server's workers under sign-in load: every sign-in hashes a password with argon2, whose
memory cost is what a worker's resident size grows by for each sign-in it handles at the same time.

Starts `duban serve --no-scheduler` (gunicorn: ``--workers`` processes of 4 threads each) on a free loopback port
against a fresh SQLite database in a temporary folder (or ``--database-url``, a database without users named
``signin-*``), makes ``--users`` users, reads each worker's resident size at rest (after a few pages), then lets
``--threads`` clients sign in over and over for ``--seconds`` (GET the sign-in page for its CSRF token, POST the
password, follow nothing), and reads each worker's peak (``VmHWM`` in /proc, the kernel's high-water mark of the
resident set). ``--stock-argon2`` runs the same with Django's own argon2 parameters (100 MiB, t = 2, p = 8) for
comparison, through a settings module that differs from duban's in that one line.

    .venv/bin/python bench/signin_bench.py --seconds 20 --json out.json
    .venv/bin/python bench/signin_bench.py --seconds 20 --stock-argon2
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.loadtest import free_port, wait_for  # noqa: E402
from bench.throughput_bench import ENV, children, rss_kb, run_clients, stop_server  # noqa: E402

PASSWORD = "Signin-bench-2026!"
STOCK_SETTINGS = '''from duban.settings import *  # noqa: F401,F403
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
'''


def setup_users(env: dict, users: int) -> str:
    """Migrate and create the users with the server's settings (so their hashes carry its parameters). Returns
    the parameters of the first user's stored hash."""
    code = f"""
import os, django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from duban.core.actions import unit_create, user_create
from duban.core.audit import system_actor
from duban.core.models import Profile
system = system_actor()
unit = unit_create(actor=system, name="登录压力测试单位")
for i in range({users}):
    u = user_create(actor=system, username=f"signin-{{i}}", password={PASSWORD!r}, role="unit_staff", unit=unit,
                  display_name=f"签到{{i}}")
    Profile.objects.filter(user=u).update(must_change_password=False)
print("HASH=" + "$".join(u.password.split("$")[:4]))
"""
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                          check=True)
    return next(x for x in proc.stdout.splitlines() if x.startswith("HASH="))[5:]


_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(conn: http.client.HTTPConnection, username: str) -> int:
    conn.request("GET", "/accounts/login/")
    page = conn.getresponse()
    body = page.read().decode()
    cookie = "; ".join(c.split(";")[0] for c in page.headers.get_all("Set-Cookie") or [])
    token = _TOKEN.search(body).group(1)
    form = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    conn.request("POST", "/accounts/login/", body=form,
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                          "Referer": f"http://127.0.0.1:{conn.port}/accounts/login/"})
    r = conn.getresponse()
    r.read()
    return r.status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients signing in")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--stock-argon2", action="store_true", help="Django's own argon2 parameters instead")
    parser.add_argument("--database-url", help="default: a fresh SQLite database in a temporary folder")
    parser.add_argument("--json")
    args = parser.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="duban-signin-")
    env = dict(os.environ, **ENV, DUBAN_DATA_DIR=tmp, DJANGO_SETTINGS_MODULE="duban.settings")
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.stock_argon2:
        Path(tmp, "stock_argon2_settings.py").write_text(STOCK_SETTINGS, encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join([tmp, str(REPO), env.get("PYTHONPATH", "")])
        env["DJANGO_SETTINGS_MODULE"] = "stock_argon2_settings"
    result: dict = {"workers": args.workers, "threads": args.threads, "hash": setup_users(env, args.users)}
    print("hash parameters:", result["hash"], flush=True)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "duban.cli", "serve", "--no-scheduler", "--no-migrate",
                               "--workers", str(args.workers), "--port", str(port)],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, server)
        for _ in range(4 * args.workers):  # every worker has served a page and imported what a request needs
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/accounts/login/")
            conn.getresponse().read()
            conn.close()
        kids = children(server.pid)
        result["rest_kb"] = [rss_kb(k)["VmRSS"] for k in kids]
        result["load"] = run_clients(port, args.threads, args.seconds,
                                     lambda conn, k: sign_in(conn, f"signin-{k % args.users}"), 302)
        result["peak_kb"] = [rss_kb(k)["VmHWM"] for k in kids]
        result["after_kb"] = [rss_kb(k)["VmRSS"] for k in kids]
    finally:
        stop_server(server)
    mb = lambda kbs: " + ".join(f"{k / 1024:.0f}" for k in kbs)  # noqa: E731
    print(f"sign-ins: {result['load']}", flush=True)
    print(f"worker RSS at rest {mb(result['rest_kb'])} MB, peak {mb(result['peak_kb'])} MB, "
          f"after {mb(result['after_kb'])} MB", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
