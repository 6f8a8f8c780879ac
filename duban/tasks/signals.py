"""How the apps above take part in closing a task (办结) without this app importing them: each connects its
receiver in its ``AppConfig.ready``. Both signals are sent inside the closing action's transaction, so what a
receiver writes commits or rolls back with the close.

- ``task_closing`` (``task``, ``requesting``): before a task is closed on a close request, and (``requesting``
  True) when the lead unit makes the request (申请办结), inside that action's transaction. A kind's own record owns
  the fact that its work is done (a hazard struck off, a case's rectification recorded, a livelihood target met);
  its receiver refuses the close by raising ``InvalidInput``, and refuses the request too where the unit could have
  met the rule before asking (so a request nobody could approve is never made).
- ``task_closed`` (``actor``, ``task``): once the task is closed and TASK_CLOSED is audited; the task is scored."""

from django.dispatch import Signal

task_closing = Signal()
task_closed = Signal()
