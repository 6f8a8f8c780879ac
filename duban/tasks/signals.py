"""How the apps above take part in closing a task (办结) without this app importing them: each connects its
receiver in its ``AppConfig.ready``. Both signals are sent inside the closing action's transaction, so what a
receiver writes commits or rolls back with the close.

- ``task_closing`` (``task``, ``requesting``): before a task is closed on a close request, and (``requesting``
  True) when the lead unit makes the request (申请办结), inside that action's transaction. A kind's own record owns
  the fact that its work is done (a hazard struck off, a case's rectification recorded, a livelihood target met);
  its receiver refuses the close by raising ``InvalidInput``, and refuses the request too where the unit could have
  met the rule before asking (so a request nobody could approve is never made).
- ``task_closed`` (``actor``, ``task``): once the task is closed and TASK_CLOSED is audited; the task is scored,
  and those who watch it are told (follow-up).
- ``report_accepted`` (``actor``, ``task``, ``report``): a progress report accepted (采纳) that does not close the
  task, once REPORT_ACCEPTED is audited; those who watch the task are told (follow-up)."""

from django.dispatch import Signal

task_closing = Signal()
task_closed = Signal()
report_accepted = Signal()
