"""Forms that parse page input for the sources pages; validation of business rules stays in the actions."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from duban.sources.models import HazardCategory, HazardSeverity

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
TEXT = forms.TextInput(attrs={"class": "form-control"})
AREA = forms.Textarea(attrs={"class": "form-control", "rows": 3})
SELECT = forms.Select(attrs={"class": "form-select"})
MULTI = forms.SelectMultiple(attrs={"class": "form-select", "size": 4})


class UnitChoiceMixin:
    def set_units(self, units):
        choices = [(u.pk, u.name) for u in units]
        self.fields["lead_unit_id"].choices = [("", "请选择")] + choices
        if "coop_unit_ids" in self.fields:
            self.fields["coop_unit_ids"].choices = choices


class TaskFieldsForm(UnitChoiceMixin, forms.Form):
    lead_unit_id = forms.TypedChoiceField(label="牵头单位", coerce=int, widget=SELECT)
    coop_unit_ids = forms.TypedMultipleChoiceField(label="配合单位", coerce=int, required=False, widget=MULTI)
    assign = forms.BooleanField(label="立即交办", required=False, initial=True,
                                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    # The dates a task's deadline comes from; the picker starts at today, as 调整时限's does (the action refuses an
    # earlier date: ``duban.tasks.actions.check_deadline``).
    DEADLINE_FIELDS = ("deadline", "reply_due", "period_end")

    # who does the work, and whether it goes out now, after what the record says (a clerk copies a 批示 or a case
    # from the paper in its order: who wrote or found it, when, what; then assigns it)
    TASK_FIELDS = ("lead_unit_id", "coop_unit_ids", "assign")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([name for name in self.fields if name not in self.TASK_FIELDS] + list(self.TASK_FIELDS))
        today = timezone.localdate().isoformat()
        for name in self.DEADLINE_FIELDS:
            if name in self.fields:
                self.fields[name].widget = forms.DateInput(attrs={**DATE.attrs, "min": today})


class InstructionForm(TaskFieldsForm):
    leader = forms.CharField(label="批示领导", max_length=50, widget=TEXT)
    date = forms.DateField(label="批示日期", widget=DATE, initial=dt.date.today)
    doc_number = forms.CharField(label="文号", max_length=100, required=False, widget=TEXT)
    text = forms.CharField(label="批示内容", widget=AREA)
    task_title = forms.CharField(label="任务名称", max_length=200, required=False, widget=TEXT,
                                 help_text="留空则取批示内容首句")
    deadline = forms.DateField(label="办理时限", required=False, widget=DATE)


class InstructionTaskForm(TaskFieldsForm):
    title = forms.CharField(label="任务名称", max_length=200, required=False, widget=TEXT)
    text = forms.CharField(label="任务内容", required=False, widget=AREA, help_text="留空则取批示内容")
    deadline = forms.DateField(label="办理时限", required=False, widget=DATE)


class CaseForm(TaskFieldsForm):
    case_number = forms.CharField(label="案件编号", max_length=50, widget=TEXT)
    inspection = forms.CharField(label="督察名称", max_length=100, required=False, widget=TEXT,
                                 initial="中央生态环境保护督察")
    batch = forms.CharField(label="批次", max_length=50, required=False, widget=TEXT)
    complaint = forms.CharField(label="投诉内容", widget=AREA)
    reply_due = forms.DateField(label="要求回复日期", required=False, widget=DATE,
                                help_text="督察组要求回复的日期，同时作为督办事项的办理时限")


class RectificationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    rectification = forms.CharField(label="整改情况", widget=AREA)
    # no choice made beforehand: the clerk decides (an undecided case shows 未定, and the form must not say 不公开)
    disclose = forms.TypedChoiceField(label="是否公开", choices=[("", "请选择"), ("1", "公开"), ("0", "不公开")],
                                      coerce=lambda v: v == "1", empty_value=None, widget=SELECT)


class LivelihoodForm(TaskFieldsForm):
    title = forms.CharField(label="项目名称", max_length=200, widget=TEXT)
    indicator = forms.CharField(label="指标", max_length=100, widget=TEXT, help_text="如：新增养老床位")
    target = forms.DecimalField(label="目标值", max_digits=14, decimal_places=2,
                                widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}))
    measure_unit = forms.CharField(label="计量单位", max_length=20, widget=TEXT, help_text="如：张")
    period_start = forms.DateField(label="起始日期", widget=DATE)
    period_end = forms.DateField(label="截止日期", widget=DATE)


class TargetForm(forms.Form):
    seen_target = forms.DecimalField(widget=forms.HiddenInput)
    target = forms.DecimalField(label="新目标值", max_digits=14, decimal_places=2,
                                widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}))
    reason = forms.CharField(label="调整理由", max_length=200, widget=TEXT,
                             help_text="如：经批准调整年度目标，写明批准文件")


class ActualForm(forms.Form):
    month = forms.DateField(label="月份", input_formats=["%Y-%m", "%Y-%m-%d"],
                            widget=forms.DateInput(attrs={"type": "month", "class": "form-control"}, format="%Y-%m"))
    value = forms.DecimalField(label="当月完成值", max_digits=14, decimal_places=2,
                               widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}))
    note = forms.CharField(label="说明", max_length=200, required=False, widget=TEXT)


class HazardForm(TaskFieldsForm):
    place = forms.CharField(label="隐患地点", max_length=200, widget=TEXT)
    category = forms.ChoiceField(label="类别", choices=HazardCategory.choices, widget=SELECT)
    severity = forms.ChoiceField(label="等级", choices=HazardSeverity.choices, widget=SELECT)
    description = forms.CharField(label="隐患描述", widget=AREA)
    deadline = forms.DateField(label="整改期限", widget=DATE)
    responsible_person = forms.CharField(label="责任人", max_length=50, widget=TEXT)


class HazardStepForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(required=False, widget=AREA)
    passed = forms.CharField(required=False)
    # 整改: the percent of the progress report the rectification files on its task (empty: the task's current one)
    progress_percent = forms.IntegerField(required=False, min_value=0, max_value=100)

