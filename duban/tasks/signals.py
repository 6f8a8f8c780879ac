"""How the apps above take part in closing a task (办结) without this app importing them: each connects its
receiver in its ``AppConfig.ready``. Both signals are sent inside the closing action's transaction, so what a
receiver writes commits or rolls back with the close.

- ``task_closing`` (``task``): before a task is closed on a close request. A kind's own record owns the fact that
  its work is done (a hazard struck off, a case's rectification recorded, a livelihood target met); its receiver
  refuses the close by raising ``InvalidInput``.
- ``task_closed`` (``actor``, ``task``): once the task is closed and TASK_CLOSED is audited; the task is scored."""

from django.dispatch import Signal

task_closing = Signal()
task_closed = Signal()
