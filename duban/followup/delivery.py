"""Delivering notifications over channels: send the due ``Delivery`` rows (``queueing`` queues them for new
notifications).

Both passes run in ``duban worker`` (or ``duban remind``), never in a user's request. Several workers may run them
at once: queueing inserts a unique ``NotificationDispatch`` first, and sending claims a row with one conditional
UPDATE (checked by its row count), which is atomic on SQLite and PostgreSQL alike.

Sending runs the lanes at once: a lane is where a channel sends (the SMTP server for mail, the robot URL for a
group), one thread each (up to ``DUBAN_DELIVERY_CONCURRENCY``); within a lane messages go one after another. A
lane stops for the pass at its first failure, and a circuit breaker keeps a lane that failed
``DUBAN_DELIVERY_BREAKER_FAILURES`` times in a row closed for ``DUBAN_DELIVERY_BREAKER_SECONDS`` (doubling, at most an
hour), so a failing or slow receiver backs off without holding mail or the other groups. The threads only talk to
the network; this thread reads and records, each outcome through ``duban.followup.actions.delivery_record`` (an
audit event per outcome) as soon as it is known. A claim lasts longer than any send may take
(``claim_lease``), and no send starts late enough to outlive it, so no other worker takes a message that is still
on its way (that would send it twice).
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from duban.followup.channels import ChannelError, Deferred, channel_lane, get_channel
from duban.followup.models import Delivery, DeliveryStatus

RETRYABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
BREAKER_MAX_OPEN = dt.timedelta(hours=1)


def claim_lease() -> dt.timedelta:
    """How long a claim holds: twice the longest send timeout, at least five minutes."""
    longest = max(settings.DUBAN_WEBHOOK_TIMEOUT, settings.EMAIL_TIMEOUT)
    return max(dt.timedelta(minutes=5), dt.timedelta(seconds=2 * longest))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:80]


def delivery_claim(*, delivery_id: int, worker: str, now: dt.datetime) -> bool:
    """Claim one due delivery for ``worker``; False when another worker holds it or it is no longer due."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return Delivery.objects.filter(free, pk=delivery_id, status__in=RETRYABLE, next_attempt_at__lte=now).update(
        claimed_by=worker, claimed_until=now + claim_lease()) == 1


@dataclass
class _Breaker:
    failures: int = 0
    open_until: dt.datetime | None = None


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def lane_is_open(lane: str, now: dt.datetime) -> bool:
    """True while the lane's breaker holds its messages back (this process's view: each worker learns on its own)."""
    with _breakers_lock:
        breaker = _breakers.get(lane)
        return breaker is not None and breaker.open_until is not None and now < breaker.open_until


def _breaker_record(lane: str, ok: bool, now: dt.datetime) -> None:
    with _breakers_lock:
        if ok:
            _breakers.pop(lane, None)
            return
        breaker = _breakers.setdefault(lane, _Breaker())
        breaker.failures += 1
        over = breaker.failures - settings.DUBAN_DELIVERY_BREAKER_FAILURES
        if over >= 0:
            wait = dt.timedelta(seconds=settings.DUBAN_DELIVERY_BREAKER_SECONDS * 2 ** min(over, 10))
            breaker.open_until = now + min(wait, BREAKER_MAX_OPEN)


def breakers_reset() -> None:
    """Forget every lane's failures (tests; a worker restart does the same)."""
    with _breakers_lock:
        _breakers.clear()


def _send_one(delivery: Delivery) -> "str | Deferred | None":
    """Send in a lane thread; the error text, a ``Deferred`` (held), or None when it went. Never touches the
    database."""
    channel = get_channel(delivery.channel)
    if channel is None:
        return f"unknown channel {delivery.channel}"
    try:
        channel.send(delivery)
    except Deferred as held:
        return held
    except ChannelError as exc:
        return str(exc) or type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - a channel's bug fails its message, not the pass
        return f"{type(exc).__name__}: {exc}"
    return None


def _run_lane(items: list[Delivery], deadline: float, out: queue.Queue) -> None:
    for index, delivery in enumerate(items):
        if time.monotonic() > deadline:  # a send starting now might outlive the claim
            out.put(("release", items[index:], None))
            break
        error = _send_one(delivery)
        if isinstance(error, Deferred):  # held for the person's quiet hours: not an attempt, not a failure
            out.put(("defer", delivery, error.until))
            continue
        out.put(("done", delivery, error))
        if error is not None:  # a failing lane waits for the next pass (and its breaker)
            out.put(("release", items[index + 1:], None))
            break
    out.put(("end", None, None))


def deliveries_send(*, now: dt.datetime | None = None, worker: str | None = None, limit: int = 100) -> dict:
    """Send the deliveries that are due, the lanes at once; returns counts by outcome."""
    from duban.core.audit import system_actor
    from duban.followup.actions import delivery_record

    clock_fixed = now is not None  # a test's clock: outcomes are recorded at it too
    now = now or timezone.now()
    worker = worker or worker_name()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = list(Delivery.objects.filter(free, status__in=RETRYABLE, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    counts = {"sent": 0, "failed": 0, "dead": 0}
    rows = (Delivery.objects.select_related("notification", "notification__recipient",
                                            "notification__recipient__profile",
                                            "notification__recipient__profile__unit",
                                            "notification__recipient__contact", "notification__task")
            .in_bulk(due))
    lanes: dict[str, list[Delivery]] = {}
    for delivery_id in due:
        delivery = rows.get(delivery_id)
        if delivery is None:
            continue
        lane = channel_lane(get_channel(delivery.channel), delivery)
        if lane_is_open(lane, now):
            continue  # backing off: not claimed, not attempted, due again when the breaker closes
        if not delivery_claim(delivery_id=delivery_id, worker=worker, now=now):
            continue
        delivery.attempt_at = now  # what "now" is for the channel (a person's quiet hours)
        lanes.setdefault(lane, []).append(delivery)
    if not lanes:
        return counts
    actor = system_actor()
    outcomes: queue.Queue = queue.Queue()
    lease = claim_lease().total_seconds()
    longest = max(settings.DUBAN_WEBHOOK_TIMEOUT, settings.EMAIL_TIMEOUT)
    deadline = time.monotonic() + max(lease - longest - 30, 0)
    lane_of = {d.pk: lane for lane, items in lanes.items() for d in items}
    with ThreadPoolExecutor(max_workers=min(len(lanes), settings.DUBAN_DELIVERY_CONCURRENCY),
                            thread_name_prefix="duban-delivery") as pool:
        for items in lanes.values():
            pool.submit(_run_lane, items, deadline, outcomes)
        ended = 0
        while ended < len(lanes):
            kind, value, error = outcomes.get()
            if kind == "end":
                ended += 1
            elif kind == "release":
                Delivery.objects.filter(pk__in=[d.pk for d in value], claimed_by=worker).update(claimed_until=None)
            elif kind == "defer":
                Delivery.objects.filter(pk=value.pk, claimed_by=worker).update(next_attempt_at=error,
                                                                                claimed_until=None)
                counts["deferred"] = counts.get("deferred", 0) + 1
            else:
                recorded_at = now if clock_fixed else timezone.now()
                _breaker_record(lane_of[value.pk], error is None, recorded_at)
                outcome = delivery_record(actor=actor, delivery_id=value.pk, worker=worker, error=error,
                                          now=recorded_at)
                if outcome:
                    counts[outcome] += 1
    return counts
