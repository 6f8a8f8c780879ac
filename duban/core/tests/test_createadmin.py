"""``duban createadmin`` on a fresh installation, through the real command in its own process and database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

from duban.conftest import REPO_DIR


def run(data_dir, *args, stdin: str = ""):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DUBAN_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "duban.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=REPO_DIR, timeout=300)


def test_createadmin_makes_the_first_administrator_once(tmp_path):
    done = run(tmp_path, "createadmin", "--username", "chief", "--password-stdin", stdin="Shou-ren-2026!x\n")
    assert done.returncode == 0, done.stderr
    assert "chief" in done.stdout
    with sqlite3.connect(tmp_path / "duban.sqlite3") as db:
        rows = db.execute("SELECT u.username, u.is_active, p.role, p.must_change_password FROM auth_user u "
                          "JOIN core_profile p ON p.user_id = u.id WHERE p.role = 'sysadmin'").fetchall()
        events = db.execute("SELECT event_type FROM core_auditevent").fetchall()
    assert rows == [("chief", 1, "sysadmin", 0)]
    assert events == [(105,)]
    again = run(tmp_path, "createadmin", "--username", "second", "--password-stdin", stdin="Shou-ren-2026!x\n")
    assert again.returncode != 0
    assert "已有系统管理员" in again.stderr and "administrator exists" in again.stderr
    assert "Traceback" not in again.stderr


def test_createadmin_refuses_a_weak_password_in_both_languages(tmp_path):
    done = run(tmp_path, "createadmin", "--password-stdin", stdin="123\n")
    assert done.returncode == 2
    assert "错误" in done.stderr and "password" in done.stderr and "Traceback" not in done.stderr
    with sqlite3.connect(tmp_path / "duban.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM core_profile").fetchone() == (0,)


def test_createadmin_without_a_terminal_or_stdin_flag_says_how(tmp_path):
    done = run(tmp_path, "createadmin")
    assert done.returncode == 2 and "--password-stdin" in done.stderr
