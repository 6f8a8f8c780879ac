"""Fixtures of the follow-up tests: a task placed on a known calendar, a real SMTP server and a real HTTP server
on 127.0.0.1 (random free ports)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from duban.conftest import use_data_dir


def aware(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def place_task(task, *, assigned: dt.date, deadline: dt.date, cycle: str = "once", every: int = 0,
               progress: int | None = None, reported: dt.date | None = None):
    """Put a task, driven to its state by the real actions, on a fixed calendar: the tests pass ``today=`` and
    the dates of the rows must not depend on the day the suite runs."""
    from duban.tasks.models import ProgressReport, Task
    from duban.tasks.report_due import report_due_refresh_in_txn

    fields = {"assigned_at": aware(assigned), "deadline": deadline, "report_cycle": cycle, "report_every": every}
    if progress is not None:
        fields["progress_percent"] = progress
    Task.objects.filter(pk=task.pk).update(**fields)
    if reported is not None:
        ProgressReport.objects.filter(task_id=task.pk).update(created_at=aware(reported))
    # written beside the actions, so the kept next report due is recomputed as the nightly pass would
    report_due_refresh_in_txn([task.pk])
    return Task.objects.select_related("latest_report", "lead_unit").get(pk=task.pk)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on loopback collecting messages; settings point EMAIL_HOST/PORT at it."""
    from aiosmtpd.controller import Controller
    from django.test import override_settings

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Handler()
    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting, so it needs a concrete port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    with override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False, EMAIL_HOST_USER="",
                           EMAIL_HOST_PASSWORD="",
                           EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend"):
        yield handler
    controller.stop()


class WebhookRecorder:
    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # answers to give, in order; 200 once exhausted
        self.lock = threading.Lock()


@pytest.fixture
def webhook_server():
    """A real HTTP server on loopback recording JSON posts; ``server.recorder.statuses`` scripts its answers."""
    recorder = WebhookRecorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with recorder.lock:
                recorder.requests.append({"path": self.path, "json": json.loads(body)})
                status = recorder.statuses.pop(0) if recorder.statuses else 200
            answer = json.dumps({"errcode": 0 if status == 200 else 500, "errmsg": "ok"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.recorder = recorder
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Notices and evidence go to a fresh directory per test."""
    return use_data_dir(settings, tmp_path)


@pytest.fixture(autouse=True)
def _closed_breakers():
    """Each test starts with every delivery lane's circuit breaker closed (they live in the worker's memory)."""
    from duban.followup.delivery import breakers_reset

    breakers_reset()
    yield
    breakers_reset()
