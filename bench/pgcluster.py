"""A throwaway PostgreSQL cluster for benchmarks: initdb under /tmp, start on a free loopback port, stop after.

The server runs as the ``postgres`` system user (created when missing), listens on 127.0.0.1 only and puts its
socket in the cluster directory. fsync is off: the benchmarks measure reads and bulk loads, not durability.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile


def pg_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not found:
        raise RuntimeError("PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql)")
    return found[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str], **kw):
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, stdout=subprocess.DEVNULL, **kw)


@contextlib.contextmanager
def cluster(dbname: str = "duban"):
    """Yield a DATABASE_URL of a fresh database; the cluster is stopped and removed on exit."""
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    bindir = pg_bin()
    root = tempfile.mkdtemp(prefix="duban-bench-pg-")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = os.path.join(root, "data"), free_port()
    ctl = os.path.join(bindir, "pg_ctl")
    _as_postgres([os.path.join(bindir, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8"])
    _as_postgres([ctl, "-D", data, "-l", os.path.join(root, "log"), "-w", "-o",
                  f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                  f"-c full_page_writes=off -c shared_buffers=512MB -c work_mem=16MB -c max_wal_size=4GB", "start"])
    try:
        _as_postgres([os.path.join(bindir, "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                      dbname])
        yield f"postgres://postgres@127.0.0.1:{port}/{dbname}"
    finally:
        subprocess.run((["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) +
                       [ctl, "-D", data, "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
