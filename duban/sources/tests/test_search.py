"""Search: substring matches in Chinese, ranking, scoping, the short-word fallback and index upkeep; runs on SQLite
(FTS5 trigram) and PostgreSQL (pg_trgm)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from duban.sources import actions, search
from duban.tasks import actions as task_actions


def ids(results, kind):
    group = next(g for g in results.groups if g.kind == kind)
    return [h.obj.pk for h in group.hits]


def total(results, kind):
    return next(g for g in results.groups if g.kind == kind).total


@pytest.fixture
def corpus(org):
    gas = org.task_in("in_progress", title="排查整治燃气安全隐患", text="要全面排查整治瓶装燃气安全隐患。")
    body_only = org.task_in("assigned", title="加强校园管理", text="学校食堂要排查整治燃气安全隐患并建立台账。",
                            lead_unit_id=org.other.pk, coop_unit_ids=[])
    unrelated = org.task_in("assigned", title="推进乡村振兴", text="要抓好秋粮收购。")
    case = actions.case_create(actor=org.supervisor, case_number="ZY-2023-0815", complaint="某码头扬尘污染严重，群众反映强烈。",
                               lead_unit_id=org.safety.pk, batch="第三批", assign=True)
    return {"gas": gas, "body_only": body_only, "unrelated": unrelated, "case": case}


def test_substring_and_ranking(org, corpus):
    results = search.search(viewer=org.supervisor, q="燃气安全")
    assert ids(results, "task") == [corpus["gas"].pk, corpus["body_only"].pk]  # the title hit ranks first
    results = search.search(viewer=org.supervisor, q="瓶装燃气")  # a substring in the middle of a word
    assert ids(results, "task") == [corpus["gas"].pk]
    hit = next(g for g in results.groups if g.kind == "task").hits[0]
    assert hit.snippet[1] == "瓶装燃气"


def test_reports_meetings_and_cases_are_found(org, corpus):
    task_actions.report_submit(actor=org.lead_staff, task_id=corpus["gas"].pk, text="已完成液化气站专项检查",
                               progress_percent=60)
    results = search.search(viewer=org.supervisor, q="液化气站")
    assert total(results, "report") == 1
    assert ids(search.search(viewer=org.supervisor, q="扬尘污染"), "case") == [corpus["case"].pk]
    assert ids(search.search(viewer=org.supervisor, q="ZY-2023"), "case") == [corpus["case"].pk]


def test_scoped_to_the_viewer(org, corpus):
    results = search.search(viewer=org.other_staff, q="燃气安全")
    assert ids(results, "task") == [corpus["body_only"].pk]
    assert total(results, "case") == 0
    results = search.search(viewer=org.lead_staff, q="燃气安全")
    assert ids(results, "task") == [corpus["gas"].pk]
    assert ids(results, "case") == [] and total(search.search(viewer=org.lead_staff, q="扬尘污染"), "case") == 1
    assert search.search(viewer=org.coop_staff, q="扬尘污染").total == 0


def test_short_words_fall_back_to_substring(org, corpus):
    results = search.search(viewer=org.supervisor, q="燃气")
    assert set(ids(results, "task")) == {corpus["gas"].pk, corpus["body_only"].pk}
    results = search.search(viewer=org.supervisor, q="台账 燃气安全")  # one short, one long word: both must match
    assert ids(results, "task") == [corpus["body_only"].pk]
    assert search.search(viewer=org.other_staff, q="秋粮").total == 0


@pytest.mark.parametrize("q", ['"', '燃气" OR "校园', "*", "NEAR(燃气 安全)", "title:燃气安全", "%_%", "a' --"])
def test_query_syntax_is_never_interpreted(org, corpus, q):
    # no error, whatever was typed; and no operator takes effect (a column filter or OR would find the gas task)
    results = search.search(viewer=org.supervisor, q=q)
    assert corpus["gas"].pk not in ids(results, "task")


def test_index_follows_edits(org, corpus):
    task = corpus["unrelated"]
    task_actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version,
                             changes={"title": "秋季森林防火检查"})
    assert ids(search.search(viewer=org.supervisor, q="森林防火"), "task") == [task.pk]
    assert ids(search.search(viewer=org.supervisor, q="乡村振兴"), "task") == []


def test_lost_triggers_are_rebuilt(org, corpus):
    if connection.vendor != "sqlite":  # PostgreSQL searches the tables themselves: there is no index to lose
        assert search.ensure_search_index() == []
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER sources_fts_task_ai")
    late = org.task_in("assigned", title="危化品仓库专项整治", text="要开展危化品仓库专项整治。")
    assert ids(search.search(viewer=org.supervisor, q="危化品仓库"), "task") == []
    assert search.ensure_search_index() == ["sources_fts_task"]
    assert ids(search.search(viewer=org.supervisor, q="危化品仓库"), "task") == [late.pk]
    assert search.ensure_search_index() == []


def test_migration_lists_the_same_tables():
    migration = importlib.import_module("duban.sources.migrations.0002_search_index")
    assert migration.TABLES == search.SEARCH_TABLES


def test_empty_query(org):
    assert search.search(viewer=org.supervisor, q="   ").groups == []


def test_a_common_word_ranks_only_the_newest_candidates(org, corpus, monkeypatch):
    """Past SEARCH_CANDIDATES matches, the newest are ranked and the total says "at least" (PostgreSQL, and the
    short-word substring search on both databases; SQLite's FTS5 index counts cheaply and is not capped)."""
    extra = [org.task_in("assigned", title=f"燃气安全检查{i}", text="要开展燃气安全检查。") for i in range(3)]
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 2)
    for q in (["燃气"] if connection.vendor == "sqlite" else ["燃气", "燃气安全"]):
        results = search.search(viewer=org.supervisor, q=q, kinds=["task"])
        (group,) = results.groups
        assert group.capped is True and group.total == 2, q
        assert set(ids(results, "task")) == {extra[-1].pk, extra[-2].pk}
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 100)
    group = search.search(viewer=org.supervisor, q="燃气", kinds=["task"]).groups[0]
    assert group.capped is False and group.total == 5


def test_two_character_words_are_looked_up_wherever_they_stand(org, corpus):
    """A two-character word in the middle of a column (a trigram starting with it), ending a column (the column-tail
    index) and as a whole column: the lookup finds the same rows as reading every row would."""
    middle = org.task_in("assigned", title="汛期值守", text="做好防汛准备工作。")
    end = org.task_in("assigned", title="汛期检查", text="各地要切实抓好防汛")
    whole = org.task_in("assigned", title="防汛", text="见附件。")
    org.task_in("assigned", title="防范", text="防止汛情。")  # both characters, not the word
    org.task_in("assigned", title="检查各地防", text="汛期准备。")  # the word across title and text: not in either
    kind = search.KINDS["task"]
    lookup = search._index_lookups([kind], ["防汛"])[kind.fts]
    assert search._index_candidates(kind, lookup) is not None  # looked up, not walked
    expected = {middle.pk, end.pk, whole.pk}
    assert lookup[1] == [(3, "防汛", frozenset(expected))] or connection.vendor == "sqlite"  # PostgreSQL: exact
    assert set(ids(search.search(viewer=org.supervisor, q="防汛", kinds=["task"]), "task")) == expected
    assert set(ids(search.search(viewer=org.supervisor, q="防汛 附件", kinds=["task"]), "task")) == {whole.pk}
    assert ids(search.search(viewer=org.other_staff, q="防汛", kinds=["task"]), "task") == []  # scope still holds
    flood = [task_actions.report_submit(actor=org.lead_staff, task_id=corpus["gas"].pk, text=text,
                                        progress_percent=pct).pk
             for pct, text in ((40, "已落实防汛"), (45, "防汛"), (50, "防汛物资已到位"))]
    task_actions.report_submit(actor=org.lead_staff, task_id=corpus["gas"].pk, text="防止汛情", progress_percent=55)
    report = search.KINDS["report"]
    lookup = search._index_lookups([report], ["防汛"])[report.fts]
    assert lookup[1] == [(3, "防汛", frozenset(flood))] or connection.vendor == "sqlite"  # PostgreSQL: exact rows
    assert search._index_candidates(report, lookup) is not None  # looked up, not walked
    group = search.search(viewer=org.supervisor, q="防汛", kinds=["report"]).groups[0]
    assert group.total == 3 and {h.obj.task_id for h in group.hits} == {corpus["gas"].pk}
    assert sorted(h.obj.text for h in group.hits) == sorted(["已落实防汛", "防汛", "防汛物资已到位"])


@pytest.mark.postgresql
def test_a_two_character_words_tasks_are_read_from_the_bigram_index(org):
    """PostgreSQL: the tasks' lookup is the expression migration 0005 indexed, so it is an index scan (at a million
    tasks a word no task holds: the walk of every task 365 ms, the index under 1 ms)."""
    from duban.sources.migrations import __name__ as migrations

    org.task_in("assigned", title="防汛", text="见附件。")
    migration = importlib.import_module(f"{migrations}.0005_pg_task_bigram_index")
    assert search.BIGRAM_KINDS["sources_fts_task"][0] == migration.EXPRESSION
    assert search.BIGRAM_KINDS["sources_fts_task"][2] == migration.INDEX
    reports = importlib.import_module(f"{migrations}.0004_pg_report_bigram_index")
    assert search.BIGRAM_KINDS["sources_fts_report"][2] == reports.INDEX
    sql, params = search._bigram_sql([search.KINDS["task"]], ["防汛"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test's few rows are otherwise cheapest read in full
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Bitmap Index Scan on {migration.INDEX}" in plan, plan


def test_long_words_and_several_words_are_looked_up_together(org, corpus, monkeypatch):
    """A long word's rows, and the rows of several words at once, come from the index when few (PostgreSQL: the
    rows holding every two characters of the words; SQLite: FTS5), and the words' filters keep exactly the rows
    that hold each word whole, in the title or the text: the characters apart, or one word missing, is no hit."""
    # 液化, 化气 and 气站 all in it, 液化气站 not
    apart = org.task_in("assigned", title="液化气检查", text="新建加气站，做好防汛。")
    both = org.task_in("assigned", title="液化气站检查", text="做好冬季防汛准备。")
    one = org.task_in("assigned", title="液化气站安全", text="见附件。")
    for q, expected in (("液化气站", {both.pk, one.pk}), ("液化气站 防汛", {both.pk}), ("防汛 液化气站", {both.pk}),
                        ("液化氣站 防汛", {both.pk})):
        assert set(ids(search.search(viewer=org.supervisor, q=q, kinds=["task"]), "task")) == expected, q
    if connection.vendor != "postgresql":
        return
    task = search.KINDS["task"]
    lookup = search._index_lookups([task], ["液化气站", "防汛"])[task.fts]
    # the index proposes the rows with every pair of characters of both words; the filters then decide
    assert lookup[1][0][2] == frozenset({both.pk, apart.pk}), lookup
    assert search._index_candidates(task, lookup) is not None  # looked up, not walked
    # the candidates as keys of the primary key (``= ANY``), which the planner counts right, beside any scope
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert ids(search.search(viewer=org.lead_staff, q="液化气站 防汛", kinds=["task"]), "task") == [both.pk]
    walked = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "tasks_task"."id" AS "pk"')]
    assert walked and all('"tasks_task"."id" = ANY(' in sql and "unnest" not in sql for sql in walked), walked
    # past the cap the newest rows are walked, with the same hits
    expression, _cap, index = search.BIGRAM_KINDS[task.fts]
    monkeypatch.setitem(search.BIGRAM_KINDS, task.fts, (expression, 1, index))
    lookup = search._index_lookups([task], ["液化气站"])[task.fts]
    assert search._index_candidates(task, lookup) is None
    assert set(ids(search.search(viewer=org.supervisor, q="液化气站", kinds=["task"]), "task")) == {both.pk, one.pk}


@pytest.mark.postgresql
def test_many_ways_of_writing_the_words_look_up_the_first_words_only(org):
    """Four words written two ways each are sixteen lookups; the first three words' eight are made, a superset of
    the rows, and the fourth word's filter narrows them."""
    words = ["燃气", "会议", "纪要", "检查"]  # 燃氣, 會議, 紀要, 檢查
    sql, params = search._bigram_sql([search.KINDS["task"]], words)
    assert sql.count("SELECT") == search.MAX_SPELLING_COMBINATIONS == 8
    hit = org.task_in("assigned", title="燃气会议纪要", text="检查。")
    org.task_in("assigned", title="燃气会议纪要", text="见附件。")  # no 检查
    assert ids(search.search(viewer=org.supervisor, q=" ".join(words), kinds=["task"]), "task") == [hit.pk]


@pytest.mark.postgresql
def test_a_word_analyze_counts_far_past_the_cap_is_walked_without_reading_its_rows(analyzed_again_after, org,
                                                                                   monkeypatch):
    """ANALYZE keeps the share of rows holding each of the commonest pairs of characters: a two-character word it
    counts past twice the cap is walked at once, without reading up to the cap from the index first, and the hits
    are the same. A word it keeps no share for, and two words together (common alone, rare together), are looked
    up."""
    from django.test.utils import CaptureQueriesContext

    from duban.perf.tests.test_query_counts import add_tasks

    add_tasks(org, org.draft_task().meeting, 300, start=100)  # 排查整治燃气安全隐患…: 燃气 in every one
    newest = org.task_in("assigned", title="防汛燃气", text="汛期燃气检查。")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_task")
    task = search.KINDS["task"]
    expression, _cap, index = search.BIGRAM_KINDS[task.fts]
    monkeypatch.setitem(search.BIGRAM_KINDS, task.fts, (expression, 100, index))
    # the count rides in the lookup's statement, and a kind it counts past the cap is not read at all
    sql, params = search._bigram_sql([task], ["燃气"], search._analyze_sql([task], ["燃气"]))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "never executed" in plan, plan
    lookup = search._bigram_rows([task], ["燃气"])[task.fts]
    ((estimate, _word, keys),) = lookup[1]
    assert estimate > 2 * 100 and keys == frozenset(), estimate  # ANALYZE's count (about 300 of about 300 rows)
    assert search._index_candidates(task, lookup) is None  # walked, not looked up
    # a word ANALYZE keeps no share for is looked up: none of its rows
    lookup = search._bigram_rows([task], ["鲸鱼"])[task.fts]
    assert lookup[1] == [(0, "鲸鱼", frozenset())]
    assert search._index_candidates(task, lookup) is not None
    # two words, each common alone, are looked up together: their one row
    lookup = search._bigram_rows([task], ["燃气", "防汛"])[task.fts]
    assert lookup[1] == [(1, "燃气 防汛", frozenset({newest.pk}))]
    assert search._index_candidates(task, lookup) is not None
    results = search.search(viewer=org.supervisor, q="燃气", kinds=["task"])
    assert ids(results, "task")[0] == newest.pk and total(results, "task") == 302  # 300, the draft's, the newest
    with CaptureQueriesContext(connection) as ctx:
        results = search.search(viewer=org.supervisor, q="燃气 汛期", kinds=["task"])
    assert [q for q in ctx.captured_queries if "duban_bigrams" in q["sql"]]
    assert ids(results, "task") == [newest.pk]


def test_a_short_word_with_two_spellings_is_looked_up_in_both(org, corpus):
    """燃气 is also written 燃氣: the index is asked for each spelling (no walk over every report), and the reports in
    either script are found wherever the word stands, from a query in either script."""
    texts = ["已整改燃气管道", "燃氣管道已更換", "已排查瓶装燃气", "燃氣", "燃料和气源已备齐"]  # the last: not the word
    for pct, text in enumerate(texts, start=40):
        task_actions.report_submit(actor=org.lead_staff, task_id=corpus["gas"].pk, text=text, progress_percent=pct)
    report = search.KINDS["report"]
    for q in ("燃气", "燃氣"):
        lookup = search._index_lookups([report], [q])[report.fts]
        assert search._index_candidates(report, lookup) is not None  # looked up, not walked
        group = search.search(viewer=org.supervisor, q=q, kinds=["report"]).groups[0]
        assert sorted(h.obj.text for h in group.hits) == sorted(texts[:4])
        assert search.search(viewer=org.other_staff, q=q, kinds=["report"]).groups[0].hits == []  # scope holds


def test_lost_tail_indexes_are_rebuilt(org):
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX sources_tail_tasks_task_text")
        cursor.execute("DROP TABLE sources_fts_report_vocab")
    assert search.ensure_search_index() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('sources_tail_tasks_task_text', "
                       "'sources_fts_report_vocab')")
        assert cursor.fetchone()[0] == 2


@pytest.mark.parametrize("q", ["燃氣安全", "燃氣", "會議紀要", "会议纪要", "纪要"])
def test_either_script_finds_the_other(org, q):
    """Communiques arrive in traditional characters as often as in simplified: a query in one script finds text
    written in the other, whether the word is short (walked) or long (looked up in the index)."""
    simplified = org.task_in("assigned", title="排查整治燃气安全隐患", text="要全面排查整治燃气安全隐患。")
    traditional = org.task_in("assigned", title="落實會議紀要事項", text="要按照會議紀要抓好落實。")
    unrelated = org.task_in("assigned", title="推进乡村振兴", text="要抓好秋粮收购。")
    found = ids(search.search(viewer=org.supervisor, q=q), "task")
    expected = simplified.pk if "燃" in q else traditional.pk
    assert found == [expected]
    assert unrelated.pk not in found


def test_snippet_marks_the_word_in_the_other_script(org):
    org.task_in("assigned", title="落實會議紀要事項", text="要按照會議紀要抓好落實。")
    hit = next(g for g in search.search(viewer=org.supervisor, q="会议纪要").groups if g.kind == "task").hits[0]
    assert hit.snippet[1] == "會議紀要"


def test_leaders_comments_and_instructions_are_found_in_their_units_scope(org, corpus):
    # The rule: the box promises 批示; a leader's 批示 on a task, and a registered leader's instruction, are found
    # under 领导批示, each by whoever may see its task, and by no one else.
    import datetime as dt

    from duban.followup.actions import task_comment

    task_comment(actor=org.leader, task_id=corpus["gas"].pk, text="请于本周内报送进展")
    task_comment(actor=org.leader, task_id=corpus["body_only"].pk, text="校园食堂本周内报送整改方案")
    instruction = actions.instruction_create(actor=org.supervisor, text="请抓紧处置河道污染，本周内报结果。",
                                             leader="张伟", date=dt.date(2024, 8, 6), doc_number="江督批〔2024〕7号",
                                             tasks=[{"title": "处置河道污染", "lead_unit_id": org.safety.pk}],
                                             assign=True)
    for q in ("本周内", "周内"):  # a long word through no index, and a short one
        results = search.search(viewer=org.supervisor, q=q)
        group = next(g for g in results.groups if g.kind == "comment")
        assert group.label == "领导批示" and group.total == 3
        assert [h.title for h in group.hits] == ["张伟批示 2024-08-06 江督批〔2024〕7号", "leader批示：加强校园管理",
                                                 "leader批示：排查整治燃气安全隐患"]
        assert group.hits[0].url == f"/sources/instructions/{instruction.pk}/"
        assert group.hits[2].url == f"/tasks/{corpus['gas'].pk}/" and group.hits[2].snippet[1] == q
    # the safety bureau leads the gas task and the instruction's task, not the school's
    titles = [h.title for h in next(g for g in search.search(viewer=org.lead_staff, q="本周内").groups
                                    if g.kind == "comment").hits]
    assert titles == ["张伟批示 2024-08-06 江督批〔2024〕7号", "leader批示：排查整治燃气安全隐患"]
    titles = [h.title for h in next(g for g in search.search(viewer=org.other_staff, q="本周内").groups
                                    if g.kind == "comment").hits]
    assert titles == ["leader批示：加强校园管理"]
    assert ids(search.search(viewer=org.other_staff, q="江督批"), "comment") == []
    # the kind alone, as 查看全部 asks for it
    results = search.search(viewer=org.supervisor, q="报送进展", kinds=["comment"])
    assert [g.kind for g in results.groups] == ["comment"] and results.total == 1


def test_hazards_are_found_in_their_units_scope(org, corpus):
    import datetime as dt

    hazard = actions.hazard_create(actor=org.supervisor, place="城东农贸市场", category="gas", severity="larger",
                                   description="燃气管道老化锈蚀", deadline=dt.date(2030, 10, 1),
                                   responsible_person="王强", lead_unit_id=org.safety.pk, title="农贸市场燃气管道",
                                   assign=True)
    group = next(g for g in search.search(viewer=org.supervisor, q="管道老化").groups if g.kind == "hazard")
    assert group.label == "安全隐患" and [h.obj.pk for h in group.hits] == [hazard.pk]
    assert group.hits[0].title == "城东农贸市场（燃气）：农贸市场燃气管道"
    assert group.hits[0].url == f"/sources/hazards/{hazard.pk}/"
    assert ids(search.search(viewer=org.supervisor, q="农贸"), "hazard") == [hazard.pk]
    assert ids(search.search(viewer=org.lead_staff, q="管道老化"), "hazard") == [hazard.pk]
    assert ids(search.search(viewer=org.other_staff, q="管道老化"), "hazard") == []
