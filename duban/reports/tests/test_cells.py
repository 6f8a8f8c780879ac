"""Formula injection: every CSV and .xlsx export writes text that starts like a formula as inert text, and a
ledger read back gets the text that was written."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import given, strategies as st
from openpyxl import load_workbook

from duban.conftest import login
from duban.reports import tables
from duban.reports.actions import ledger_export
from duban.reports.cells import restore_text, safe_cell
from duban.reports.actions import ledger_import
from duban.tasks.models import Task

# The starts that make Excel, WPS or LibreOffice evaluate a cell (OWASP "CSV Injection").
DANGEROUS = ["=HYPERLINK(\"http://evil\",\"点此\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]
HARMLESS = ["落实河长制", "1+1=2", "（一）=号在后", "'单引号开头"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_gets_a_leading_apostrophe_and_comes_back(text):
    assert safe_cell(text) == "'" + text
    assert restore_text(safe_cell(text)) == text


@given(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "a", "中", " "]), max_size=6))
def test_restore_gives_back_any_text_and_no_cell_starts_like_a_formula(text):
    assert restore_text(safe_cell(text)) == text
    assert not safe_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_text_starting_with_an_apostrophe_before_a_formula_keeps_it():
    assert safe_cell("'=1") == "''=1" and restore_text("''=1") == "'=1"


@pytest.mark.parametrize("value", [*HARMLESS, -5, 3.5, dt.date(2024, 1, 1), None])
def test_other_values_are_unchanged(value):
    assert safe_cell(value) == value
    assert restore_text(value) == value


def test_csv_and_xlsx_helpers_neutralise_every_cell():
    rows = [[text, 1] for text in DANGEROUS]
    read = list(csv.reader(io.StringIO(tables.to_csv(["=标题", "数"], rows).decode("utf-8-sig"), newline="")))
    assert read[0][0] == "'=标题"
    assert [r[0] for r in read[1:]] == ["'" + t for t in DANGEROUS]
    ws = load_workbook(io.BytesIO(tables.to_xlsx("=表", ["=标题", "数"], rows))).active
    assert ws["A1"].value == "'=表"
    cells = [ws.cell(row=r, column=1) for r in range(3, 3 + len(DANGEROUS))]
    assert [c.value for c in cells] == ["'" + t for t in DANGEROUS]
    assert all(c.data_type == "s" for c in cells)  # text, never a formula


@pytest.mark.django_db
def test_overdue_csv_writes_a_formula_title_as_text(client, org):
    task = org.task_in("assigned", deadline=dt.date.today() - dt.timedelta(days=2))
    Task.objects.filter(pk=task.pk).update(title=DANGEROUS[0])
    login(client, org.supervisor)
    rows = list(csv.reader(io.StringIO(client.get("/reports/csv/overdue.csv").content.decode("utf-8-sig"))))
    assert rows[1][0] == "'" + DANGEROUS[0]


@pytest.mark.django_db
def test_ledger_export_is_inert_and_reimports_unchanged(org):
    tasks = [org.task_in("assigned", title=f"事项{i}") for i in range(len(DANGEROUS))]
    for task, text in zip(tasks, DANGEROUS):
        Task.objects.filter(pk=task.pk).update(title=text.replace("\t", "").replace("\r", "") or text)
    data = ledger_export(actor=org.supervisor)
    ws = load_workbook(io.BytesIO(data)).active
    column = [c.value for c in ws[2]].index("督办事项") + 1
    cells = [ws.cell(row=r, column=column) for r in range(3, ws.max_row + 1)]
    assert all(c.data_type == "s" and c.value.startswith("'") for c in cells)
    result = ledger_import(actor=org.supervisor, data=data)
    assert result.noop and not result.refused  # the apostrophe is taken off again: no title "changed"
