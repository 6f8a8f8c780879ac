"""The follow-up loop: every ``DUBAN_SCHEDULER_INTERVAL`` seconds evaluate lights → take reminder steps → queue
deliveries for new notifications → send the due ones.

``duban worker`` runs it in the foreground; ``duban serve`` starts one as a child process beside the web server
(never as a thread: see ``duban.core.server``). Several workers may run at once (the database keeps every step and
every message to once). A failing pass is logged and the loop goes on: a bad row must not stop reminders for
everyone else.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("duban.followup")

_dues_checked_on: dict = {}  # the day this process last checked every task's kept report due


@dataclass
class PassResult:
    reminders: int = 0
    queued: int = 0
    delivered: dict = field(default_factory=dict)
    scans: int = 0
    recounted: int = 0  # units whose kept counts per light were counted again (duban.tasks.unit_tally)
    dues_fixed: int = 0  # tasks whose kept next report due was wrong (duban.tasks.report_due)


def run_pass(*, today: dt.date | None = None, now: dt.datetime | None = None, worker: str | None = None
             ) -> PassResult:
    """One pass of the loop, as the system actor. Reminder steps are taken on working days only (``today``, or on
    the clock from ``DUBAN_REMIND_FROM_HOUR`` local time on); deliveries of what is queued go out at any time."""
    from duban.followup.queueing import deliveries_enqueue
    from duban.followup.delivery import deliveries_send
    from duban.followup.reminders import reminders_run

    result = PassResult()
    if today is None:
        # On its own clock the loop sends reminders from the working morning on, not at midnight.
        moment = timezone.localtime(now or timezone.now())
        if moment.hour >= settings.DUBAN_REMIND_FROM_HOUR:
            result.reminders = len(reminders_run(today=moment.date()))
    else:
        result.reminders = len(reminders_run(today=today))
    # Each step reads the clock afresh (unless a test fixes it): the reminders' own deliveries are queued at
    # their commit and must be due for the send step of the same pass.
    result.queued = deliveries_enqueue(now=now or timezone.now())
    result.delivered = deliveries_send(now=now or timezone.now(), worker=worker)
    from duban.meetings.actions import scan_jobs_run  # scans waiting for text recognition, one a pass

    result.scans = scan_jobs_run()
    from duban.core.files import sweep_stale

    sweep_stale()  # temporaries left by a process killed between writing a file and committing
    from duban.tasks.report_due import report_due_refresh_all
    from duban.tasks.unit_tally import refresh_all

    # Each working task's next report due again, once a day per process (the nightly `duban remind`, the loop's
    # first pass of a day), so a write that bypassed the actions (a bulk update, an import, a restore) or a new
    # holiday calendar is right within a day; before the counts, which its writes make stale.
    day = today or timezone.localdate(now)
    if _dues_checked_on.get("day") != day:
        result.dues_fixed = report_due_refresh_all()
        _dues_checked_on["day"] = day

    # The counts per unit and light are kept for a day: the first pass of a day (the nightly `duban remind`)
    # counts every unit for it, later passes the units written since, so no dashboard's reader pays for them.
    result.recounted = refresh_all(day)
    return result


def run_loop(*, interval: float | None = None, stop: threading.Event | None = None, max_passes: int | None = None
             ) -> int:
    """Run passes until ``stop`` is set (or ``max_passes`` ran); returns the number of passes."""
    interval = settings.DUBAN_SCHEDULER_INTERVAL if interval is None else interval
    stop = stop or threading.Event()
    passes = 0
    while not stop.is_set():
        close_old_connections()
        try:
            run_pass()
        except Exception:  # keep the loop alive; the next pass retries
            logger.exception("follow-up pass failed")
        finally:
            close_old_connections()
        passes += 1
        if max_passes is not None and passes >= max_passes:
            break
        stop.wait(interval)
    return passes
