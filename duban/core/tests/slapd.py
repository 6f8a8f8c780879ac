"""A real OpenLDAP server (Debian's slapd) on a free loopback port for one test module: its own config, database
and data in a temporary folder, stopped at the end. Under CI a missing slapd is a failure (``require_tool``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SUFFIX = "dc=duban,dc=test"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "Slapd-admin-2026"
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"

CONFIG = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin}"
rootpw {password}
directory {dir}/db
"""


@dataclass
class Slapd:
    uri: str
    process: subprocess.Popen

    def add(self, ldif: str) -> None:
        subprocess.run(["ldapadd", "-x", "-H", self.uri, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD], input=ldif,
                       text=True, check=True, capture_output=True, timeout=30)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path) -> Slapd:
    (folder / "db").mkdir(parents=True)
    conf = folder / "slapd.conf"
    conf.write_text(CONFIG.format(dir=folder, suffix=SUFFIX, admin=ADMIN_DN, password=ADMIN_PASSWORD))
    port = free_port()
    uri = f"ldap://127.0.0.1:{port}"
    # -d 0: stay in the foreground (so the test owns the process) and log nothing
    process = subprocess.Popen([SLAPD, "-f", str(conf), "-h", uri + "/", "-d", "0"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("slapd exited: " + process.stderr.read().decode(errors="replace")[-500:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("slapd did not start")
    server = Slapd(uri, process)
    server.add(f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: duban\no: duban\n\n"
               f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n"
               f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n")
    return server
