"""What the benchmarks share: the repository on the import path, and the environment of a server (debug off, a
key, local hosts) for Django set up in-process or passed to a server they start."""

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
