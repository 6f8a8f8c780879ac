"""How the apps above take part in changing the unit tree without core importing them: each connects its receiver
in its ``AppConfig.ready``. Both are sent inside the unit action's transaction, so what a receiver writes commits
or rolls back with it, under the action's one audit event.

- ``unit_merging`` (``actor``, ``unit``, ``into``): 机构改革, once ``unit_merge`` has checked the merge and before
  it moves people and sub-units. A receiver moves its records from ``unit`` to ``into`` and returns a dict of the
  ids it moved, which UNIT_MERGED's ``extra`` and the action's result carry (the tasks app: ``task_ids``,
  ``lead_task_ids``).
- ``unit_retiring`` (``unit``): before ``unit_deactivate`` retires a unit. A receiver returns what the unit still
  has in its app, as (Chinese, English) pairs; any pair refuses the retirement, naming what is left (the tasks app:
  open tasks led).

Not in ``duban.core.signals``, whose import connects the sign-in receivers: those must connect after
django-axes's, in ``CoreConfig.ready``, not whenever ``duban.core.actions`` is first imported."""

from django.dispatch import Signal

unit_merging = Signal()
unit_retiring = Signal()
