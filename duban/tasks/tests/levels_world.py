"""Two levels below the city for tests: 临川区 (a district with its own 督查室) with two townships, and 东乡区, a
sibling district; a city task for 各辖市区 assigned by the office. Everything made through the real actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from duban.conftest import PASSWORD


@dataclass
class Levels:
    org: object
    all_districts: object  # the unit a communique's "各辖市区" names
    district: object
    district2: object
    town_a: object
    town_b: object
    district_sup: object  # 临川区督查室 (unit supervisor of the district)
    district_staff: object
    district2_staff: object
    town_a_staff: object
    town_b_staff: object
    town_a_sup: object

    def city_task(self, days: int = 60):
        """The city's task for 各辖市区, assigned (交办) by the office."""
        from duban.tasks import actions
        from duban.tasks.models import Task

        task = actions.task_create(actor=self.org.supervisor, title="排查整治城镇燃气安全隐患",
                                   text="各辖市区要全面排查整治城镇燃气安全隐患。", area_id=self.org.area_safety.pk,
                                   lead_unit_id=self.all_districts.pk,
                                   deadline=dt.date.today() + dt.timedelta(days=days))
        actions.task_assign(actor=self.org.supervisor, task_id=task.pk)
        return Task.objects.get(pk=task.pk)

    def split(self, actor, task, *units, days=None, **kw):
        from duban.tasks import actions
        from duban.tasks.models import Task

        task = Task.objects.get(pk=task.pk)
        deadline = task.deadline if days is None else dt.date.today() + dt.timedelta(days=days)
        return actions.task_decompose(actor=actor, task_id=task.pk, version=task.version,
                                      parts=[{"lead_unit_id": u.pk, "deadline": deadline} for u in units], **kw)

    @staticmethod
    def ask_to_close(staff, task):
        """The lead unit signs for its task and asks to close it (申请办结) with evidence; returns the request."""
        from duban.tasks import actions

        actions.task_accept(actor=staff, task_id=task.pk)
        return actions.report_submit(actor=staff, task_id=task.pk, text="已完成", progress_percent=100,
                                     request_close=True, evidence_text="台账")

    def world(self, days: int = 60):
        """The city task split to both districts by the office, 临川区's part split to its two townships by
        its 督查室: returns (city, district part, sibling district part, town A part, town B part)."""
        city = self.city_task(days)
        part, part2 = self.split(self.org.supervisor, city, self.district, self.district2)
        town_a, town_b = self.split(self.district_sup, part, self.town_a, self.town_b)
        return city, part, part2, town_a, town_b


def make_levels(org) -> Levels:
    from duban.core.actions import unit_create, user_create
    from duban.core.models import Profile

    system = org.system
    all_districts = unit_create(actor=system, name="各辖市区人民政府")
    district = unit_create(actor=system, name="临川区人民政府")
    district2 = unit_create(actor=system, name="东乡区人民政府")
    town_a = unit_create(actor=system, name="临川区上顿渡镇人民政府", parent=district)
    town_b = unit_create(actor=system, name="临川区温泉镇人民政府", parent=district)

    def user(username, role, unit):
        u = user_create(actor=system, username=username, password=PASSWORD, role=role, unit=unit,
                        display_name=username)
        Profile.objects.filter(user=u).update(must_change_password=False)
        u.refresh_from_db()
        return u

    return Levels(org=org, all_districts=all_districts, district=district, district2=district2, town_a=town_a,
                  town_b=town_b, district_sup=user("district_sup", "unit_supervisor", district),
                  district_staff=user("district_staff", "unit_staff", district),
                  district2_staff=user("district2_staff", "unit_staff", district2),
                  town_a_staff=user("town_a_staff", "unit_staff", town_a),
                  town_b_staff=user("town_b_staff", "unit_staff", town_b),
                  town_a_sup=user("town_a_sup", "unit_supervisor", town_a))
