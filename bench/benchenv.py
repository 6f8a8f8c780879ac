"""What the benchmarks share: the repository on the import path, the environment of a server (debug off, a key,
local hosts) for Django set up in-process or passed to a server they start, and a signed-in session stored
without signing in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

ENV = {
    "DUBAN_DEBUG": "0",
    "DUBAN_SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "DUBAN_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
}


def django_setup() -> None:
    """Django in this process with duban's settings and ``ENV`` (what the caller's environment sets wins)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    for name, value in ENV.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()


def stored_session(user) -> str:
    """A signed-in session of ``user`` saved without signing in (which would write the last sign-in time and an
    audit event into duban's database): what ``django.contrib.auth.login`` stores, through the session engine."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.utils.module_loading import import_string

    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    # the first backend that loads users, as Django's test client's force_login picks it
    store[BACKEND_SESSION_KEY] = next(b for b in settings.AUTHENTICATION_BACKENDS
                                      if hasattr(load_backend(b), "get_user"))
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key
