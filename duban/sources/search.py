"""One search box over meetings, tasks, progress reports and inspection cases, and leaders' 批示 and hazards.

SQLite: FTS5 tables with the trigram tokenizer (``migrations/0002_search_index.py``), ranked by bm25 with titles
weighted above bodies; words shorter than three characters (a trigram index cannot look them up; 燃气, 安全 are two)
are matched with a plain substring filter, and for a rare two-character word the rows to check come from the FTS5
vocabulary first (``_index_candidates``). PostgreSQL: ranked by trigram similarity to the title; the rows of the
tasks and the progress reports holding the query's Chinese words, short or long, come from a bigram index
(``_bigram_rows``) when they are fewer than its cap, else the newest rows are walked; other words are matched
with ``ILIKE``, which pg_trgm GIN indexes serve.

Every hit comes from the viewer's scoped queryset (``duban.tasks.permissions``, ``duban.meetings.permissions``);
the index only proposes ids.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Case, F, FloatField, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThan
from django.urls import reverse

from duban.core import permissions as core
from duban.core.rows import lists_in_one
from duban.extraction.chars import spellings
from duban.meetings.permissions import meetings_visible_to
from duban.sources import permissions as perms
from duban.tasks import permissions as task_perms

# fts table: (content table, columns); the migration holds the same list (it may not import this module).
SEARCH_TABLES = {
    "sources_fts_task": ("tasks_task", ("title", "text")),
    "sources_fts_report": ("tasks_progressreport", ("text",)),
    "sources_fts_meeting": ("meetings_meeting", ("title", "source_text")),
    "sources_fts_case": ("sources_inspectioncase", ("case_number", "complaint", "rectification")),
}

MAX_QUERY_CHARS = 100
MAX_TERMS = 5


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    fts: str
    weights: tuple[float, ...]  # bm25 weight per column, title first
    title_field: str
    body_field: str

    @property
    def columns(self) -> tuple[str, ...]:
        return SEARCH_TABLES[self.fts][1]


KINDS = {
    "meeting": Kind("meeting", "会议", "sources_fts_meeting", (5.0, 1.0), "title", "source_text"),
    "task": Kind("task", "督办事项", "sources_fts_task", (5.0, 1.0), "title", "text"),
    "report": Kind("report", "进展报告", "sources_fts_report", (1.0,), "text", "text"),
    "case": Kind("case", "督察交办件", "sources_fts_case", (5.0, 2.0, 1.0), "case_number", "complaint"),
}


@dataclass(frozen=True)
class PlainSource:
    """One table of a kind searched by a plain substring filter: the viewer's rows of it (``scoped``), the
    columns searched, the joins a hit shows, a hit's (title, address), and when a row was made (newest first)."""

    scoped: Callable[[object], QuerySet]
    columns: tuple[str, ...]
    related: tuple[str, ...]
    shown: Callable[[object], tuple[str, str]]
    made: str = "created_at"


@dataclass(frozen=True)
class PlainKind:
    """A kind of small tables (leaders' 批示, hazards), searched without an index: every word, short or long, by
    the substring filter of the indexed kinds' short words, in each of the kind's tables, newest first. Its
    tables hold a few rows per task at most, so the scan costs little and the other kinds are untouched."""

    key: str
    label: str
    sources: tuple[PlainSource, ...]


def _comments_visible_to(viewer) -> QuerySet:
    """Leaders' 批示 on the tasks the viewer sees (as ``duban.followup.selectors.comment_get`` reads them)."""
    from duban.followup.models import LeaderComment

    rows = LeaderComment.objects.all()
    return rows if core.is_office(viewer) else rows.filter(task__in=task_perms.tasks_visible_to(viewer).values("pk"))


def _comment_shown(comment) -> tuple[str, str]:
    author = getattr(getattr(comment.author, "profile", None), "display_name", "") or comment.author.username
    return f"{author}批示：{comment.task.title}", reverse("tasks:detail", args=[comment.task_id])


def _instruction_shown(instruction) -> tuple[str, str]:
    title = " ".join(p for p in (f"{instruction.leader}批示", f"{instruction.date:%Y-%m-%d}", instruction.doc_number)
                     if p)
    return title, reverse("sources:instruction_detail", args=[instruction.pk])


PLAIN_KINDS = {
    "comment": PlainKind("comment", "领导批示", (
        PlainSource(_comments_visible_to, ("text",), ("task", "author", "author__profile"), _comment_shown),
        PlainSource(perms.instructions_visible_to, ("text", "leader", "doc_number"), (), _instruction_shown))),
    "hazard": PlainKind("hazard", "安全隐患", (
        PlainSource(perms.hazards_visible_to, ("place", "description", "rectification"), ("task",),
                    lambda hazard: (f"{hazard.place}（{hazard.get_category_display()}）：{hazard.task.title}",
                                    reverse("sources:hazard_detail", args=[hazard.pk])), made="found_at"),)),
}


# every kind by its key, in the order the page lists their groups
KIND_LABELS = {key: kind.label for key, kind in (*KINDS.items(), *PLAIN_KINDS.items())}


def _shaped(kind: str, qs: QuerySet) -> QuerySet:
    """The columns and joins a hit of this kind shows."""
    if kind == "meeting":
        return qs.defer("extraction")
    if kind == "task":
        # the task's meeting gives a link title only: not its communique and extraction (kilobytes a hit)
        return (qs.select_related("lead_unit", "meeting")
                .defer("meeting__source_text", "meeting__extraction", "meeting__reports_heard"))
    if kind == "report":
        return qs.select_related("task", "unit")
    return qs.select_related("task", "task__lead_unit")


def _scoped(kind: str, viewer) -> QuerySet:
    if kind == "meeting":
        return _shaped(kind, meetings_visible_to(viewer))
    if kind == "task":
        return _shaped(kind, task_perms.tasks_visible_to(viewer))
    if kind == "report":
        return _shaped(kind, task_perms.reports_visible_to(viewer))
    return _shaped(kind, perms.cases_visible_to(viewer))


def _visible_ids_loaded(kind: str, qs: QuerySet, ids: list[int]) -> QuerySet:
    """The hits with these ids, which the caller has just read from the viewer's scoped queryset ``qs``.

    Loading them through ``qs`` again would repeat the scope filter, and SQLite then drives the query from it: for
    a unit whose scope is the whole city, every report of 100k tasks probed against the id list (48 s at 100k). The
    ids are already in scope, so the primary key alone finds them."""
    return _shaped(kind, qs.model._default_manager.all()).filter(pk__in=ids)


@dataclass
class Hit:
    kind: str
    obj: object
    title: str
    snippet: tuple[str, str, str]  # before, match, after: the template escapes each part
    score: float = 0.0
    url: str = ""  # the hit's page, for the kinds of PLAIN_KINDS (the template knows the others')


@dataclass
class Group:
    kind: str
    label: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    capped: bool = False  # more than SEARCH_CANDIDATES matched: ``total`` is that cap, the page ranks the newest


@dataclass
class SearchResults:
    query: str
    terms: list[str]
    groups: list[Group]
    mode: str  # "index" or "substring"

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)


def parse_terms(q: str) -> list[str]:
    q = (q or "").strip()[:MAX_QUERY_CHARS]
    terms = [t for t in re.split(r"[\s\u3000,，;；]+", q) if t]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def _fts_match(terms: list[str]) -> str:
    # Each word as a quoted FTS5 string: no operator or column filter typed into the box is ever interpreted. A
    # word matches in either script (``spellings``).
    def one(term: str) -> str:
        return "(" + " OR ".join('"' + t.replace('"', '""') + '"' for t in spellings(term)) + ")"

    return " AND ".join(one(t) for t in terms)


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _ILike(Func):
    """``column ILIKE '%term%'`` (PostgreSQL), which pg_trgm's GIN index serves; Django's icontains wraps the
    column in UPPER() and would not use it."""

    arg_joiner = " ILIKE "
    template = "(%(expressions)s)"
    output_field = BooleanField()


_ASCII_LETTER = re.compile(r"[A-Za-z]")


# The position of a word in a column (0: absent), by vendor: both take (column, word).
_POSITION_FUNCTION = {"sqlite": "INSTR", "postgresql": "STRPOS"}


def _substring_q(kind: Kind, term: str) -> Q:
    """Rows holding ``term`` in any searched column, written in either script."""
    q = Q()
    for spelling in spellings(term):
        q |= _spelling_q(kind, spelling)
    return q


def _spelling_q(kind: Kind, term: str) -> Q:
    q = Q()
    # SQLite's LIKE folds the case of ASCII letters only, so for a word without any (燃气, 安全) ``instr`` finds
    # exactly the same rows, and faster: no pattern matching per character (a short word scans every row).
    # PostgreSQL's ``icontains`` upper-cases every row's text first: for a word without case (Chinese, digits)
    # ``strpos`` finds the same rows, 2-4x faster.
    if connection.vendor == "sqlite":
        plain = not _ASCII_LETTER.search(term)
    else:
        plain = term.lower() == term.upper()
    function = _POSITION_FUNCTION.get(connection.vendor)
    for column in kind.columns:
        if plain and function:
            q |= Q(GreaterThan(Func(F(column), Value(term), function=function, output_field=IntegerField()), 0))
        else:
            q |= Q(**{f"{column}__icontains": term})
    return q


def _ilike_filter(kind: Kind, term: str):
    q = Q()
    for spelling in spellings(term):
        pattern = Value("%" + _like_escape(spelling) + "%")
        for column in kind.columns:
            q |= Q(_ILike(F(column), pattern))
    return q


def _snippet(text: str, terms: list[str], width: int = 40) -> tuple[str, str, str]:
    text = re.sub(r"\s+", " ", text or "")
    lowered = text.lower()
    for term in (spelling for term in terms for spelling in spellings(term)):
        i = lowered.find(term.lower())
        if i >= 0:
            start = max(0, i - width)
            end = min(len(text), i + len(term) + width * 2)
            return (("…" if start else "") + text[start:i], text[i:i + len(term)],
                    text[i + len(term):end] + ("…" if end < len(text) else ""))
    return (text[:width * 3] + ("…" if len(text) > width * 3 else ""), "", "")


def _title(kind: str, obj) -> str:
    if kind == "report":
        return f"{obj.task.title}（{obj.unit.name}进展）"
    if kind == "case":
        return f"{obj.case_number} {obj.task.title}"
    return obj.title


def _hit(kind: Kind, obj, terms: list[str], score: float) -> Hit:
    body = " ".join(str(getattr(obj, c) or "") for c in kind.columns)
    return Hit(kind=kind.key, obj=obj, title=_title(kind.key, obj), snippet=_snippet(body, terms), score=score)


def _search_sqlite(kind: Kind, qs: QuerySet, long_terms: list[str], terms: list[str], limit: int, offset: int,
                   scoped_all: bool) -> Group:
    match = _fts_match(long_terms)
    where = f"f.{kind.fts} MATCH %s"
    params: list = [match]
    if not scoped_all and len(terms) > len(long_terms):
        # A short word in the query (its filter is in ``qs``): check it on each row the index proposes, rather
        # than materializing every row holding it (a scan of the whole table for a two-character word).
        sub_sql, sub_params = (qs.filter(pk=RawSQL("f.rowid", ())).order_by().values("pk")
                               .query.sql_with_params())
        where += f" AND EXISTS ({sub_sql})"
        params += list(sub_params)
    elif not scoped_all:
        sub_sql, sub_params = qs.order_by().values("pk").query.sql_with_params()
        # The unary + keeps SQLite from handing the IN list to FTS5 as a rowid constraint, which would run the
        # MATCH once per visible row (seconds at 100k tasks) instead of once, filtered by the materialized list.
        where += f" AND +f.rowid IN ({sub_sql})"
        params += list(sub_params)
    weights = ", ".join(str(w) for w in kind.weights)
    with connection.cursor() as cursor:
        # One pass gives the page and (by the window) the total; only a page past the end needs a second count.
        cursor.execute(f"SELECT id, score, count(*) OVER () FROM (SELECT f.rowid AS id, bm25(f.{kind.fts}, "
                       f"{weights}) AS score FROM {kind.fts} f WHERE {where}) ORDER BY score, id DESC "
                       f"LIMIT %s OFFSET %s", params + [limit, offset])
        rows = cursor.fetchall()
        if rows:
            total = rows[0][2]
        elif offset:
            cursor.execute(f"SELECT count(*) FROM {kind.fts} f WHERE {where}", params)
            total = cursor.fetchone()[0]
        else:
            total = 0
    ranked = [(pk, score) for pk, score, _total in rows]
    objs = {o.pk: o for o in _visible_ids_loaded(kind.key, qs, [r[0] for r in ranked])}
    hits = [_hit(kind, objs[pk], terms, -score) for pk, score in ranked if pk in objs]
    return Group(kind=kind.key, label=kind.label, total=total, hits=hits)


def _search_orm(kind: Kind, qs: QuerySet, long_terms: list[str], terms: list[str], limit: int, offset: int,
                candidates: RawSQL | Q | None = None) -> Group:
    if connection.vendor == "postgresql" and long_terms:
        for term in long_terms:
            # A word the bigram index looks up (``_index_lookups``) is checked with ``strpos`` on the rows it
            # proposes, or on the newest rows when it is common (3x faster a row than ILIKE); any other word
            # with ILIKE, which the trigram indexes serve.
            qs = qs.filter(_substring_q(kind, term) if kind.fts in BIGRAM_KINDS and _bigram_word(term)
                           else _ilike_filter(kind, term))
        score = Func(Value(" ".join(long_terms)), F(kind.title_field), function="similarity",
                     output_field=FloatField())
    else:
        for term in long_terms:
            qs = qs.filter(_substring_q(kind, term))
        score = Case(When(Q(**{f"{kind.title_field}__icontains": terms[0]}), then=Value(1.0)),
                     default=Value(0.0), output_field=FloatField())
    # A common word matches tens of thousands of rows; counting and ranking all of them took 1.7 s at 100k tasks
    # on PostgreSQL. Rank only the newest SEARCH_CANDIDATES matches (a backward scan of the primary key that stops
    # early) and say the total is "at least" that.
    walk = qs if candidates is None else qs.filter(candidates)
    ids = list(walk.order_by("-pk").values_list("pk", flat=True)[:SEARCH_CANDIDATES + 1])
    capped = len(ids) > SEARCH_CANDIDATES
    ids = ids[:SEARCH_CANDIDATES]
    # "search_score", not "score": Task has a score field (考评得分).
    rows = list(_visible_ids_loaded(kind.key, qs, ids).annotate(search_score=score)
                .order_by("-search_score", "-pk")
                [offset:offset + limit])
    return Group(kind=kind.key, label=kind.label, total=len(ids), capped=capped,
                 hits=[_hit(kind, o, terms, float(o.search_score or 0)) for o in rows])


SEARCH_CANDIDATES = 2000


def _plain_candidates(kinds: list[PlainKind], viewer, terms: list[str]) -> dict[str, list[tuple]]:
    """The newest SEARCH_CANDIDATES + 1 rows of each table of ``kinds`` holding every word (in either script), as
    (key, made) lists by "kind:table number", newest first: one statement for them all (``lists_in_one``, each
    part filtered by a sliced subquery of its keys), so the small tables add one round trip to a search, not one
    each."""
    parts = {}
    for kind in kinds:
        for n, source in enumerate(kind.sources):
            qs = source.scoped(viewer)
            for term in terms:
                qs = qs.filter(_substring_q(source, term))
            order = (f"-{source.made}", "-pk")
            newest = qs.order_by(*order).values("pk")[:SEARCH_CANDIDATES + 1]
            parts[f"{kind.key}:{n}"] = (qs.model._default_manager.filter(pk__in=newest).order_by(*order),
                                        ("pk", source.made))
    return lists_in_one(parts) if parts else {}


def _search_plain(kind: PlainKind, viewer, terms: list[str], limit: int, offset: int,
                  candidates: dict[str, list[tuple]]) -> Group:
    """The kind's rows among ``candidates`` (``_plain_candidates``), its tables merged newest first; the page's
    rows are then read with what they show."""
    found = [(at, pk, n) for n in range(len(kind.sources)) for pk, at in candidates.get(f"{kind.key}:{n}", ())]
    found.sort(key=lambda row: (row[0], row[1]), reverse=True)
    capped = len(found) > SEARCH_CANDIDATES
    page = found[:SEARCH_CANDIDATES][offset:offset + limit]
    hits = []
    for n, source in enumerate(kind.sources):
        ids = [pk for _at, pk, m in page if m == n]
        if not ids:
            continue
        model = source.scoped(viewer).model
        for obj in model._default_manager.select_related(*source.related).filter(pk__in=ids):
            title, url = source.shown(obj)
            body = " ".join(str(getattr(obj, c) or "") for c in source.columns)
            hits.append((getattr(obj, source.made), obj.pk, Hit(kind=kind.key, obj=obj, title=title,
                                                     snippet=_snippet(body, terms), url=url)))
    hits.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return Group(kind=kind.key, label=kind.label, total=min(len(found), SEARCH_CANDIDATES), capped=capped,
                 hits=[hit for _at, _pk, hit in hits])


def _tail_index(table: str, column: str) -> str:
    return f"sources_tail_{table}_{column}"


# PostgreSQL: the kinds (by FTS table name) with a bigram index of their searched columns (migrations 0004 and
# 0005), as (the SQL expression indexed, written as the index has it; the cap: how many rows holding the query's
# words are read from the index before they count as common and the newest rows are walked instead; the index).
# At a million tasks a task read from the index costs ~1.4 µs, one walked ~0.4 µs (``strpos``). Below the cap a
# query's rows are read, at most the cap's cost; above it they are at least cap / rows of the table, so the walk
# for a page of SEARCH_CANDIDATES stops within SEARCH_CANDIDATES * rows / cap rows: the tasks' 20,000 bounds both
# near 30-40 ms there. With a cap of 2,000, a word held by 5,000 tasks was walked through 400,000 of them (210 ms;
# a four-character word, by ILIKE, 700 ms). The reports: a walk of 5 million reports for 2,000 of a word's 10,000
# reads most of them.
BIGRAM_COUNT_CAP = 10_000
TASK_LOOKUP_CAP = 20_000
BIGRAM_KINDS = {"sources_fts_report": ("text", BIGRAM_COUNT_CAP, "sources_bigram_tasks_progressreport_text"),
                "sources_fts_task": ("title || ' ' || text", TASK_LOOKUP_CAP, "sources_bigram_tasks_task_title_text")}
# A query's words are looked up together, once for each way of writing them (燃气 and 燃氣): at most this many.
MAX_SPELLING_COMBINATIONS = 8


def _bigram_word(term: str) -> bool:
    """A word the bigram indexes look up: two characters or more, without upper or lower case in any spelling (the
    indexes hold the text as written; ``strpos`` checks it as written too)."""
    return len(term) >= 2 and all(s.lower() == s.upper() for s in spellings(term))


def _index_lookups(kinds: list[Kind], terms: list[str]) -> dict[str, tuple]:
    """Per FTS table, (rows, [(estimate, word, keys)]): what an index says of the query's words before any row is
    checked (``_index_candidates`` turns it into the rows to check, or None to walk).

    PostgreSQL: for the kinds with a bigram index (``BIGRAM_KINDS``), the ids of the rows holding every two
    characters of every word the index can look up (``_bigram_word``; short and long alike), read up to a cap and
    counted (``_bigram_rows``): one entry, for the words together. SQLite (asked only when no word goes to FTS5,
    ``search``): the trigram vocabulary's terms starting with each two-character word (``keys``), with their
    document counts. One query for every kind (the vocabulary tables are ``fts5vocab`` views of the FTS indexes,
    migration 0003)."""
    if not kinds:
        return {}
    if connection.vendor == "postgresql":
        words = [t for t in terms if _bigram_word(t)]
        return _bigram_rows([k for k in kinds if k.fts in BIGRAM_KINDS], words) if words else {}
    # Each spelling of a word (燃气 and 燃氣: ``spellings``) is looked up, and the word's rows are theirs together.
    words = [t for t in terms if all(len(s) == 2 and s.lower() == s.upper() for s in spellings(t))]
    if connection.vendor != "sqlite" or not words:
        return {}
    parts, params = [], []
    for kind in kinds:
        table = SEARCH_TABLES[kind.fts][0]
        parts.append(f"SELECT %s, NULL, NULL, max(id) FROM {table}")
        params.append(kind.fts)
        for word in words:
            for spelling in spellings(word):
                parts.append(f"SELECT %s, %s, term, doc FROM {kind.fts}_vocab WHERE term > %s AND term <= %s")
                params += [kind.fts, word, spelling, spelling + "\U0010ffff"]
    found: dict[str, tuple] = {kind.fts: (0, {w: [0, []] for w in words}) for kind in kinds}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for fts, word, term, doc in cursor.fetchall():
            if word is None:
                found[fts] = (doc or 0, found[fts][1])
            else:
                found[fts][1][word][0] += doc
                found[fts][1][word][1].append(term)
    return {fts: (rows, [(estimate, word, trigrams) for word, (estimate, trigrams) in per_word.items()])
            for fts, (rows, per_word) in found.items()}


def _bigrams(words: tuple[str, ...]) -> list[str]:
    """Every two characters of each word, once, in order."""
    return list(dict.fromkeys(word[i:i + 2] for word in words for i in range(len(word) - 1)))


def _bigram_sql(kinds: list[Kind], words: list[str], counted: tuple[str, list] | None = None) -> tuple[str, list]:
    """The statement of ``_bigram_rows``: (kind, id, NULL) of each kind's rows holding every two characters of the
    words, for each way of writing them (a row holding the words in either script is found by one of the parts),
    up to one past the kind's cap. The first words only, past MAX_SPELLING_COMBINATIONS ways: rows holding those
    hold a superset of the query's rows, which the words' filters then narrow. ``counted``: ANALYZE's count of the
    word's rows (``_analyze_sql``) as a first part of the statement; a kind it counts past COMMON_PAST_CAP times
    its cap is not read (a condition PostgreSQL tests once, before any scan) and gives one row (kind, NULL,
    count) instead."""
    while len(words) > 1 and len(list(itertools.product(*map(spellings, words)))) > MAX_SPELLING_COMBINATIONS:
        words = words[:-1]
    parts, params = [], []
    for kind in kinds:
        table, index = SEARCH_TABLES[kind.fts][0], BIGRAM_KINDS[kind.fts][2]
        expression, cap, _index = BIGRAM_KINDS[kind.fts]
        common = "COALESCE((SELECT n FROM counted WHERE idx = %s), 0) > %s"
        for written in itertools.product(*map(spellings, words)):
            bigrams = _bigrams(written)
            parts.append(f"(SELECT %s, id, NULL::float8 FROM {table} WHERE "
                         + (f"NOT {common} AND " if counted else "")
                         + f"duban_bigrams({expression}) @> ARRAY[{', '.join(['%s'] * len(bigrams))}]::text[] LIMIT %s)")
            params += [kind.fts, *((index, COMMON_PAST_CAP * cap) if counted else ()), *bigrams, cap + 1]
        if counted:
            parts.append("(SELECT %s, NULL::bigint, n FROM counted WHERE idx = %s AND n > %s)")
            params += [kind.fts, index, COMMON_PAST_CAP * cap]
    if not parts:
        return "", []
    if counted:
        return f"WITH counted AS ({counted[0]}) " + " UNION ALL ".join(parts), [*counted[1], *params]
    return " UNION ALL ".join(parts), params


def _bigram_rows(kinds: list[Kind], words: list[str]) -> dict[str, tuple]:
    """PostgreSQL: ``_index_lookups`` from the bigram indexes themselves, in one query: the ids of the rows holding
    every two characters of the words (in any of their spellings), read up to one past the kind's cap for each
    way of writing them. For a two-character word these are exactly its rows; for longer words and several words a
    few more (the characters apart, or in the other column), which the words' filters drop. The index intersects
    the characters' lists itself, so words common alone but rare together (燃气 and 养老) cost their few rows. A
    rare query costs a lookup of a few index entries; a common one stops at the cap and is walked. The rows
    themselves, exact where it matters: ANALYZE's statistics keep only the commonest pairs of characters and
    leave the rest to a guess (they serve only to skip a word they count far past the cap,
    ``_analyze_sql``), and the planner, left to estimate the lookup, guesses thousands of rows and walks
    the whole table newest first for a word that no row holds (2.4 s at 5M reports), or a few thousand rows' word
    through most of a million tasks (0.7 s)."""
    if not kinds:
        return {}
    # A word ANALYZE counts far past the cap is not read up to it (20,000 rows, ~30 ms at a million tasks, spent
    # only to learn that the newest rows are to be walked): its count rides in the same statement.
    common: dict[str, float] = {}
    found: dict[str, set] = {kind.fts: set() for kind in kinds}
    sql, params = _bigram_sql(kinds, words, _analyze_sql(kinds, words))
    if sql:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for fts, pk, rows in cursor.fetchall():
                if pk is None:
                    common[fts] = rows
                else:
                    found[fts].add(pk)  # one set for the ways of writing the words: a row counts once
    for fts in common:
        found.pop(fts, None)
    # more than the cap in any one part means more than the cap in all
    return {**{fts: (0, [(len(ids), " ".join(words), frozenset(ids))]) for fts, ids in found.items()},
            **{fts: (0, [(int(rows), " ".join(words), frozenset())]) for fts, rows in common.items()}}


# How far past a kind's cap ANALYZE's count of a word's rows must be for the lookup to be skipped (a count from
# a sample: 燃气 50,767 for 50,064 rows at a million tasks).
COMMON_PAST_CAP = 2


def _analyze_sql(kinds: list[Kind], words: list[str]) -> tuple[str, list] | None:
    """For a query of one two-character word: a statement of (index, rows) per kind's bigram index, the rows holding
    the word by ANALYZE's statistics (the share of rows it keeps for each of the commonest pairs of characters,
    times the rows), added over the word's spellings; an index that keeps no share for it has no row (unknown: the
    lookup is made). None for other queries: the rows holding several pairs at once are not known from their
    shares (燃气 and 养老 are each in a twentieth of the tasks, and together in none)."""
    if len(words) != 1 or any(len(spelling) != 2 for spelling in spellings(words[0])):
        return None
    # the shares run three past the pairs (their least, greatest and the share of nulls): unnest pairs those with
    # no pair, which the filter drops
    return ("SELECT s.tablename AS idx, sum(u.share * c.reltuples)::float8 AS n FROM pg_stats s "
            "JOIN pg_class c ON c.oid = (quote_ident(s.schemaname) || '.' || quote_ident(s.tablename))::regclass "
            "CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(pair, share) "
            "WHERE s.schemaname = current_schema() AND s.tablename = ANY(%s) AND u.pair = ANY(%s) "
            "GROUP BY s.tablename",
            [[BIGRAM_KINDS[kind.fts][2] for kind in kinds], spellings(words[0])])


def _index_candidates(kind: Kind, lookup: tuple | None) -> RawSQL | Q | None:
    """A filter to the rows that may hold the query's words, from an index, or None to walk the table (common
    words, or words this cannot look up). The rows are still checked with the words' exact filters, so this only
    narrows the walk.

    PostgreSQL: the rows the bigram index of the kind's columns (``BIGRAM_KINDS``) gave ``_bigram_rows``, when
    they are under its cap. SQLite, for a two-character word: a trigram index holds every three characters of a
    column, so a two-character word followed by any character is in some trigram starting with it: the FTS5
    vocabulary lists those (a range of its sorted terms) and one MATCH of them all finds the rows. A word at the
    very end of a column is followed by nothing: an index on each column's last two characters
    (``substr(column, -2)``, migration 0003) finds those. Only words without upper or lower case (Chinese, digits,
    punctuation: the index folds case, ``instr`` does not) and only where the candidates are few: for a common
    word, walking the newest rows stops early anyway (each fifth row holds 安全)."""
    if not lookup:
        return None
    rows, words = lookup
    estimate, word, keys = min(words, key=lambda w: w[0])
    table, columns = SEARCH_TABLES[kind.fts]
    if connection.vendor == "postgresql":
        # Up to the cap the rows were read already (``_bigram_rows``): they are the candidates, as one array (a
        # statement with 20,000 parameters costs more to send and plan than to run), compared with ``= ANY``, which
        # the planner reads as that many keys of the primary key. ``IN (SELECT unnest(...))`` it guessed at 200
        # rows and, beside a district's scope, scanned the whole table instead (5,160 candidates at a million
        # tasks: 472 ms, with ``= ANY`` 38 ms).
        if estimate > BIGRAM_KINDS[kind.fts][1]:
            return None
        return RawSQL(f'{connection.ops.quote_name(table)}."id" = ANY(%s::bigint[])', (sorted(keys, reverse=True),),
                      output_field=BooleanField())
    trigrams = keys
    # Walking the newest rows needs about SEARCH_CANDIDATES * rows / estimate of them for a full page of
    # candidates; reading candidates costs about four times as much a row.
    if estimate and 4 * estimate * estimate > SEARCH_CANDIDATES * rows:
        return None
    parts, params = [], []
    if trigrams:
        parts.append(f"SELECT rowid FROM {kind.fts} WHERE {kind.fts} MATCH %s")
        params.append(" OR ".join('"' + t.replace('"', '""') + '"' for t in trigrams))
    for column in columns:
        for spelling in spellings(word):
            parts.append(f"SELECT id FROM {table} WHERE substr({column}, -2) = %s")
            params.append(spelling)
    return Q(pk__in=RawSQL(" UNION ".join(parts), params))


def search(*, viewer, q: str, kinds: list[str] | None = None, limit: int = 20, offset: int = 0) -> SearchResults:
    """Ranked hits per kind (meetings, tasks, progress reports, inspection cases) that the viewer may open, then
    the newest of leaders' 批示 and of hazards (``PLAIN_KINDS``)."""
    terms = parse_terms(q)
    plain = [k for k in (kinds or PLAIN_KINDS) if k in PLAIN_KINDS]
    wanted = [k for k in (kinds or KINDS) if k in KINDS]
    if not terms:
        return SearchResults(query=q or "", terms=[], groups=[], mode="index")
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    use_fts = bool(long_terms) and connection.vendor == "sqlite"
    groups = []
    lookups = {} if use_fts else _index_lookups([KINDS[k] for k in wanted], terms)
    for key in wanted:
        kind = KINDS[key]
        qs = _scoped(key, viewer)
        for term in short_terms:
            qs = qs.filter(_substring_q(kind, term))
        if use_fts:
            groups.append(_search_sqlite(kind, qs, long_terms, terms, limit, offset,
                                         scoped_all=core.is_office(viewer) and not short_terms))
        else:
            candidates = _index_candidates(kind, lookups.get(kind.fts))
            groups.append(_search_orm(kind, qs, long_terms, terms, limit, offset, candidates))
    candidates = _plain_candidates([PLAIN_KINDS[key] for key in plain], viewer, terms)
    groups += [_search_plain(PLAIN_KINDS[key], viewer, terms, limit, offset, candidates) for key in plain]
    mode = "index" if long_terms and connection.vendor in ("sqlite", "postgresql") else "substring"
    return SearchResults(query=q, terms=terms, groups=groups, mode=mode)


# --- keeping the SQLite index healthy ------------------------------------------------------------------------

def _trigger_sql(fts: str, table: str, columns: tuple[str, ...]) -> list[str]:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        (f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
         f"tokenize='trigram')"),
        (f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
         f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"),
        (f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
         f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"),
        (f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
         f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
         f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"),
    ]


def ensure_search_index(using: str = "default") -> list[str]:
    """Recreate missing FTS tables or triggers and rebuild those indexes; returns the fts tables repaired.

    Run after every ``migrate`` (post_migrate, see apps.py): Django's SQLite schema editor rebuilds a table to alter
    it (a later migration adding a column to tasks_task, say), and dropping the old table drops its triggers, which
    would leave the index silently stale. Missing column-tail indexes (migration 0003) are recreated too (they
    need no rebuild and are not in the list returned)."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return []
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index')")
        present = {row[0] for row in cursor.fetchall()}
        repaired = []
        for fts, (table, columns) in SEARCH_TABLES.items():
            if table not in present:
                continue  # the migration creating it has not run yet
            if f"{fts}_vocab" not in present:
                cursor.execute(f"CREATE VIRTUAL TABLE {fts}_vocab USING fts5vocab({fts}, 'row')")
            tails = {_tail_index(table, column): column for column in columns}
            for name in set(tails) - present:
                cursor.execute(f"CREATE INDEX {name} ON {table} (substr({tails[name]}, -2))")
            needed = {fts, f"{fts}_ai", f"{fts}_ad", f"{fts}_au"}
            if needed <= present:
                continue
            for sql in _trigger_sql(fts, table, columns):
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
            repaired.append(fts)
    return repaired

