"""Working days and report due dates: the rule lives in ``duban.tasks.workdays`` (the tasks app keeps each task's
next report due by it, and may not import this app); the names are here too for the follow-up modules."""

from duban.tasks.workdays import (ONE_DAY, add_workdays, is_workday, next_report_due,  # noqa: F401
                                  next_workday_on_or_after, workdays_until)
