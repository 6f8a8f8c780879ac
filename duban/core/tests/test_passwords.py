"""Password hashing: argon2id at the parameters docs/settings.md states, and hashes made with other parameters are
made again with these at the next successful sign-in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password

import duban.settings as production
from duban.conftest import PASSWORD
from duban.core.passwords import OwaspArgon2PasswordHasher

DOCS = Path(__file__).resolve().parents[3] / "docs" / "settings.md"


def _documented() -> dict[str, int]:
    """The parameters as the settings page states them: "argon2id, m = 19 MiB (19456 KiB), t = 2, p = 1"."""
    text = " ".join(DOCS.read_text(encoding="utf-8").split())  # the sentence may wrap
    found = re.search(r"argon2id, m = (\d+) MiB \((\d+) KiB\), t = (\d+), p = (\d+)", text)
    assert found, "docs/settings.md states no argon2id parameters"
    mib, kib, t, p = (int(g) for g in found.groups())
    assert mib * 1024 == kib
    return {"memory_cost": kib, "time_cost": t, "parallelism": p}


@pytest.mark.nodb
def test_the_production_hasher_has_the_documented_parameters():
    assert production.PASSWORD_HASHERS[0] == "duban.core.passwords.OwaspArgon2PasswordHasher"
    doc = _documented()
    assert doc == {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}  # OWASP's argon2id minimum
    hasher = OwaspArgon2PasswordHasher()
    assert {k: getattr(hasher, k) for k in doc} == doc
    # and the hash it writes says so itself
    encoded = hasher.encode("Any-pass-2026!", hasher.salt())
    assert encoded.startswith(f"argon2$argon2id$v=19$m={doc['memory_cost']},t={doc['time_cost']},"
                              f"p={doc['parallelism']}$")


@pytest.mark.django_db
def test_a_hash_with_django_defaults_is_upgraded_at_sign_in(client, org, settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    User = get_user_model()
    user = User.objects.get(username="lead_staff")
    stock = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    assert "m=102400,t=2,p=8" in stock  # Django's own parameters, as hashes made before this setting carry
    User.objects.filter(pk=user.pk).update(password=stock)

    wrong = client.post("/accounts/login/", {"username": "lead_staff", "password": PASSWORD + "x"})
    assert wrong.status_code == 200
    assert User.objects.get(pk=user.pk).password == stock  # a failed sign-in changes nothing

    signed_in = client.post("/accounts/login/", {"username": "lead_staff", "password": PASSWORD})
    assert signed_in.status_code == 302
    upgraded = User.objects.get(pk=user.pk).password
    assert upgraded != stock
    assert upgraded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    client.post("/accounts/logout/")
    again = client.post("/accounts/login/", {"username": "lead_staff", "password": PASSWORD})
    assert again.status_code == 302
    assert User.objects.get(pk=user.pk).password == upgraded  # already current: not hashed again


_AFTER_SIGN_INS = """
import sys, threading
from django.conf import settings
settings.configure()
from duban.core.passwords import OwaspArgon2PasswordHasher
from duban.core.server import _return_freed_blocks
if sys.argv[1] == "returned":
    assert _return_freed_blocks()
def rss_kb():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1])
hasher = OwaspArgon2PasswordHasher()
hasher.encode("warm-up-2026!", hasher.salt())
before = rss_kb()
for _ in range(3):  # three rounds of four threads signing in at once, as a gunicorn worker's threads do
    threads = [threading.Thread(target=hasher.encode, args=("Any-pass-2026!", hasher.salt())) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
print(rss_kb() - before)
"""


@pytest.mark.nodb
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident size from /proc")
def test_a_server_process_gives_back_the_memory_of_each_password_hash():
    """``duban serve`` sets glibc to return big freed blocks: after sign-ins a worker is back near its resting size,
    where otherwise each of its threads keeps a 19 MiB argon2 block for good."""
    import subprocess
    import sys

    def grown_kb(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", _AFTER_SIGN_INS, mode], capture_output=True, text=True,
                             check=True, cwd=Path(__file__).resolve().parents[3])
        return int(out.stdout.split()[-1])

    mib = 1024
    assert grown_kb("kept") >= 2 * 19 * mib  # the failure this guards against, shown here
    assert grown_kb("returned") < 19 * mib
