"""Full-text search of the published calls with the database's own engine, French stemming and accents folded,
ranked by relevance. The one place that knows the two dialects:

- SQLite: an FTS5 table `calls_fts` (rowid = calls.id; columns title, summary, body). FTS5 has no French stemmer,
  so the text is folded (core.text.fold) and stemmed here with Snowball's French stemmer, at indexing and at query
  time alike, and the stems are what the table holds. publish() indexes a call (index()); a trigger of the
  migration drops its row when the call is deleted. Ranked by bm25, the title weighing most.
- PostgreSQL: a generated `calls.search_vector` (tsvector, 'french' configuration over portal_unaccent(), an
  IMMUTABLE wrapper of unaccent so that the column and its GIN index may use it): the database keeps it in step
  with the row, nothing to do at publication. Ranked by ts_rank, title (A) before summary (B) before the rest (D).

The words of a query are matched all together (AND), each by its stem: « expulsions » finds « expulsion »,
« Equipe » finds « équipes ». A query is reduced to its words before it reaches either engine, so the syntax
characters of FTS5 or tsquery (quotes, *, -, :, parentheses) are never read as syntax."""

from __future__ import annotations

import functools
import re
import threading

import snowballstemmer
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    column,
    event,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from portal.catalog.models import Call
from portal.core.text import fold

FTS_TABLE = "calls_fts"
# bm25() weights of the FTS5 columns (title, summary, body): a word of the title counts ten times one of the body.
WEIGHTS = (10.0, 4.0, 1.0)
# What FTS5 and the tsvector column add to the database beside the models (tests/test_migrations.py, env.py).
_FTS_SHADOWS = ("", "_data", "_idx", "_content", "_docsize", "_config")
UNMAPPED_TABLES = frozenset(FTS_TABLE + suffix for suffix in _FTS_SHADOWS)
UNMAPPED_COLUMNS = frozenset({("calls", "search_vector")})
UNMAPPED_INDEXES = frozenset({"ix_calls_search_vector"})

# unicode61 splits on every character that is not a letter or a digit (the underscore included): so do we.
_WORD = re.compile(r"[^\W_]+")
# PostgreSQL's French stop words (tsearch_data/french.stop), folded: left out of a query on SQLite as plainto_tsquery
# leaves them out on PostgreSQL, so « prévention des expulsions » does not require « des ».
STOP_WORDS = frozenset(fold(
    "au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me même mes moi mon ne nos notre "
    "nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s "
    "t y été étée étées étés étant étante étants étantes suis es est sommes êtes sont serai seras sera serons serez "
    "seront serais serait serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois "
    "soit soyons soyez soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus "
    "ai as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait "
    "avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez "
    "eussent").split())

# A Snowball stemmer keeps its word in progress in itself: one per thread (gunicorn runs threads).
_local = threading.local()


@functools.lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A folded word's stem. Pure Python Snowball costs about 0.1 ms a word; a language has few words that
    recur, so each is stemmed once (re-indexing 5,000 calls went from minutes to seconds)."""
    if not hasattr(_local, "stemmer"):
        _local.stemmer = snowballstemmer.stemmer("french")
    return _local.stemmer.stemWord(word)


def words(value: str) -> list[str]:
    """The words of a text as both engines split it, folded (lower case, no accents)."""
    return _WORD.findall(fold(value))


def stems(value: str) -> list[str]:
    return [stem(word) for word in words(value)]


def indexed(value: str) -> str:
    """What the FTS5 table holds for a text: its stems, in order."""
    return " ".join(stems(value))


def query_words(query: str) -> list[str]:
    """The words of a query that take part in the match: stop words left out, each word once."""
    return list(dict.fromkeys(word for word in words(query) if word not in STOP_WORDS))


# ---- the database objects ------------------------------------------------------------------------------------

# The tsvector kept in its row (4.4 KB on average at 5,000 generated calls) instead of out of line: a search
# matches and ranks it for each candidate call, and TOAST made that two lookups of three chunks each per call
# (`@@`, then ts_rank). MAIN alone would still be moved out past the default 2 KB row target, hence the target
# of a whole page; the texts still go out of line first (issue 18: « expulsions » at 5,000 calls, 20 → 12 ms).
_POSTGRESQL_IN_ROW = [
    "ALTER TABLE calls ALTER COLUMN search_vector SET STORAGE MAIN",
    "ALTER TABLE calls SET (toast_tuple_target = 8160)",
]

# IMMUTABLE so that a generated column and an index may call it (unaccent itself is only STABLE: its dictionary
# could change); the dictionary is named with its schema, as an immutable function must not depend on search_path.
_POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
    """CREATE OR REPLACE FUNCTION portal_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    # Computed for every existing call when added, then by the database at every write.
    """ALTER TABLE calls ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('french'::regconfig, portal_unaccent(coalesce(title, ''))), 'A')
         || setweight(to_tsvector('french'::regconfig, portal_unaccent(coalesce(summary, ''))), 'B')
         || setweight(to_tsvector('french'::regconfig, portal_unaccent(coalesce(search_text, ''))), 'D')) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_calls_search_vector ON calls USING gin (search_vector)",
    *_POSTGRESQL_IN_ROW,
]
_SQLITE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(title, summary, body, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    # Hygiene only: publication deletes a call's row before writing it again, so a row left behind is never shown
    # (the search joins calls). A migration that rebuilds `calls` by copy (batch mode) drops this trigger.
    f"CREATE TRIGGER IF NOT EXISTS calls_fts_delete AFTER DELETE ON calls BEGIN "
    f"DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END",
]


def create(connection: Connection) -> None:
    """Make the search's table, column, function and index (migration a4b6c8d0e2f3, and metadata.create_all)."""
    for statement in _POSTGRESQL if connection.dialect.name == "postgresql" else _SQLITE:
        connection.exec_driver_sql(statement)


def keep_vectors_in_rows(connection: Connection) -> None:
    """Migration c6e8a0b2d4f6: the storage of _POSTGRESQL_IN_ROW, and every call written again so that its
    vector (recomputed by the database at any update) is stored that way. Nothing to do on SQLite."""
    if connection.dialect.name != "postgresql":
        return
    for statement in _POSTGRESQL_IN_ROW:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("UPDATE calls SET title = title")


def drop(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP INDEX IF EXISTS ix_calls_search_vector")
        connection.exec_driver_sql("ALTER TABLE calls DROP COLUMN IF EXISTS search_vector")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS portal_unaccent(text)")  # the extension may serve others
    else:
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS calls_fts_delete")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")


# A database made from the models rather than the migrations (metadata.create_all) gets them too, and loses them
# with the table.
event.listen(Call.__table__, "after_create", lambda _table, connection, **_: create(connection))
event.listen(Call.__table__, "before_drop", lambda _table, connection, **_: drop(connection))


# ---- keeping the index (SQLite) --------------------------------------------------------------------------------

def index(session: Session | Connection, call_id: int, title: str, summary: str, body: str) -> None:
    """(Re)index one call; on PostgreSQL the generated column already follows the row."""
    if _dialect(session) != "sqlite":
        return
    session.execute(text(f"DELETE FROM {FTS_TABLE} WHERE rowid = :id"), {"id": call_id})
    session.execute(text(f"INSERT INTO {FTS_TABLE} (rowid, title, summary, body) VALUES (:id, :title, :summary, "
                         ":body)"), {"id": call_id, "title": indexed(title), "summary": indexed(summary),
                                     "body": indexed(body)})


def rebuild(session: Session | Connection, batch: int = 500) -> int:
    """Index every call anew (the migration, and whoever inserts calls without publishing them: benchmarks, tests
    that bulk insert); returns the number of calls indexed. Nothing to do on PostgreSQL."""
    if _dialect(session) != "sqlite":
        return 0
    session.execute(text(f"DELETE FROM {FTS_TABLE}"))
    calls = table("calls", column("id"), column("title"), column("summary"), column("search_text"))
    rows = session.execute(select(calls.c.id, calls.c.title, calls.c.summary, calls.c.search_text)).all()
    insert = text(f"INSERT INTO {FTS_TABLE} (rowid, title, summary, body) VALUES (:id, :title, :summary, :body)")
    for start in range(0, len(rows), batch):
        session.execute(insert, [{"id": row.id, "title": indexed(row.title), "summary": indexed(row.summary),
                                  "body": indexed(row.search_text)} for row in rows[start:start + batch]])
    return len(rows)


# ---- matching --------------------------------------------------------------------------------------------------

def restrict(session: Session, select_calls: Select, query: str,
             ranked: bool = True) -> tuple[Select, ColumnElement[float] | None] | None:
    """`select_calls` (a SELECT over calls) kept to the calls matching every word of `query`, and the score of
    each (higher is better) to sort by, or None when not `ranked` (a COUNT, a sort by closing); None when the query
    has no word to look for (only punctuation or stop words): nothing matches."""
    found = query_words(query)
    if not found:
        return None
    if _dialect(session) == "sqlite":
        # Each stem quoted: a string FTS5 reads as a phrase of one word, never as an operator.
        expression = bindparam("fts_query", " ".join(f'"{stem(word)}"' for word in found))
        fts = table(FTS_TABLE, column("rowid"))
        matches = literal_column(FTS_TABLE).op("MATCH")(expression)
        if not ranked:
            # The matches as a list each call is looked up in, the calls read from their other conditions (the
            # index on ends_at): `calls.id + 0` keeps SQLite from reading it the other way round, each match
            # looking up its call (5.8 ms for the 4,973 calls matching a common word at 5,000, 1.3 ms this way;
            # issue 18). Without a score, FTS5 does not compute bm25 for every match either.
            return select_calls.where((Call.id + literal_column("0")).in_(select(fts.c.rowid).where(matches))), None
        # Ranked: the matches with their bm25, joined to calls by rowid. bm25 costs about 1.6 µs a match, and
        # reading a call's row to test its other conditions about 1 µs more: the matches are first kept to the
        # calls those conditions leave, a list read from their indexes (ends_at's for the archives), so that an
        # archived match costs its place in the index and no score. « expulsions » at 5,000 calls: 4,973 matches,
        # 926 not closed; page 1's database time 12.2 → 6.0 ms, 10.4 → 3.6 with a territory (issue 18).
        # `rowid + 0`: a condition FTS5 is not asked to look up row by row (one full-text query per call).
        bm25 = func.bm25(literal_column(FTS_TABLE), *WEIGHTS)
        hits = select(fts.c.rowid.label("call_id"), (-bm25).label("score")).where(matches)
        if select_calls.whereclause is not None:
            kept = select_calls.with_only_columns(Call.id).correlate(None)  # a list of its own, never the outer row
            hits = hits.where((fts.c.rowid + literal_column("0")).in_(kept))
        hits = hits.subquery("hits")
        return select_calls.join(hits, hits.c.call_id == Call.id), hits.c.score
    # On the row itself, not a join of calls with itself: the other conditions (not closed, a filter) keep few
    # rows, and only theirs are matched and ranked; a join read every call's tsvector (22 ms at 5,000 calls)
    # whenever a common word made the GIN index look no better than reading them all.
    vector = literal_column("calls.search_vector")
    tsquery = func.plainto_tsquery(literal_column("'french'::regconfig"),
                                   func.portal_unaccent(bindparam("ts_query", " ".join(found))))
    return select_calls.where(vector.op("@@")(tsquery)), func.ts_rank(vector, tsquery) if ranked else None


def include_in_comparison(name: str | None, type_: str, parent_names: dict) -> bool:
    """For Alembic's comparison of the database with the models: the search's own table, column and index are
    made by the migration and live outside the models."""
    if type_ == "table":
        return name not in UNMAPPED_TABLES
    if type_ == "column":
        return (parent_names.get("table_name"), name) not in UNMAPPED_COLUMNS
    if type_ == "index":
        return name not in UNMAPPED_INDEXES
    return True


def _dialect(session: Session | Connection) -> str:
    bind = session if isinstance(session, Connection) else session.get_bind()  # db.session is a scoped session
    return bind.dialect.name
