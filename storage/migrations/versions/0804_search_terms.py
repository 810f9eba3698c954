"""search that finds what members mean: folded accents, plurals and CJK character pairs, on both backends

Revision ID: 0804
Revises: 0600

`resources` gains `search_title`, `search_tags` and `search_description`: the fields as
`core.search_text.index_text` folds them (case, width, accents, English plurals, Chinese,
Japanese and Korean runs as overlapping character pairs). They are filled here from every existing
row, in Python, so that both backends index exactly what the query side produces.

SQLite: the FTS5 table `resources_fts` is rebuilt over those columns (scope, title, tags,
description) with its three triggers, and filled from the approved rows. PostgreSQL: the GIN
expression index of 0401 gives way to a table `resources_search` (approved rows only, like the FTS5
table), kept by a trigger: per resource its guild, `strong` (title and tags) and `document`
(everything) as stored tsvectors, with GIN indexes on both and a btree on (guild_id, id). Stored
vectors let PostgreSQL walk a guild's newest rows and test each cheaply when a word is common, and
use the GIN index when it is rare (storage/search.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.search_text import index_text

revision: str = "0804"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
COLUMNS = ("search_title", "search_tags", "search_description")

FTS_ROW = "'g' || new.guild_id, new.search_title, new.search_tags, new.search_description"
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE resources_fts USING fts5("
    "scope, title, tags, description, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER resources_fts_insert AFTER INSERT ON resources WHEN new.status = 'approved' BEGIN "
    f"INSERT INTO resources_fts (rowid, scope, title, tags, description) VALUES (new.id, {FTS_ROW}); END",
    "CREATE TRIGGER resources_fts_delete AFTER DELETE ON resources BEGIN "
    "DELETE FROM resources_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER resources_fts_update AFTER UPDATE OF guild_id, status, search_title, search_tags, "
    "search_description ON resources BEGIN DELETE FROM resources_fts WHERE rowid = old.id; "
    f"INSERT INTO resources_fts (rowid, scope, title, tags, description) SELECT new.id, {FTS_ROW} "
    "WHERE new.status = 'approved'; END",
    "INSERT INTO resources_fts (rowid, scope, title, tags, description) "
    "SELECT id, 'g' || guild_id, search_title, search_tags, search_description FROM resources "
    "WHERE status = 'approved'",
    "INSERT INTO resources_fts (resources_fts) VALUES ('optimize')",
]
PG_STRONG = "to_tsvector('simple', new.search_title || ' ' || new.search_tags)"
PG_DOCUMENT = "to_tsvector('simple', new.search_title || ' ' || new.search_tags || ' ' || new.search_description)"
POSTGRES_SEARCH = [
    "CREATE TABLE resources_search ("
    "id BIGINT PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE, guild_id BIGINT NOT NULL, "
    "strong TSVECTOR NOT NULL, document TSVECTOR NOT NULL)",
    "INSERT INTO resources_search (id, guild_id, strong, document) SELECT new.id, new.guild_id, "
    f"{PG_STRONG}, {PG_DOCUMENT} FROM resources AS new WHERE new.status = 'approved'",
    "CREATE INDEX ix_resources_search_guild ON resources_search (guild_id, id)",
    "CREATE INDEX ix_resources_search_strong ON resources_search USING gin (strong)",
    "CREATE INDEX ix_resources_search_document ON resources_search USING gin (document)",
    "CREATE FUNCTION resources_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' THEN DELETE FROM resources_search WHERE id = old.id; END IF; "
    "IF new.status = 'approved' THEN INSERT INTO resources_search (id, guild_id, strong, document) "
    f"VALUES (new.id, new.guild_id, {PG_STRONG}, {PG_DOCUMENT}); END IF; RETURN NULL; END $$",
    "CREATE TRIGGER resources_search_sync AFTER INSERT OR UPDATE OF guild_id, status, search_title, search_tags, "
    "search_description ON resources FOR EACH ROW EXECUTE FUNCTION resources_search_sync()",
    "ANALYZE resources_search",
]

# What migration 0401 created, for the downgrade.
OLD_FTS_ROW = "'g' || new.guild_id, new.title, new.description, replace(new.tags, ',', ' ')"
OLD_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE resources_fts USING fts5("
    "scope, title, description, tags, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER resources_fts_insert AFTER INSERT ON resources WHEN new.status = 'approved' BEGIN "
    f"INSERT INTO resources_fts (rowid, scope, title, description, tags) VALUES (new.id, {OLD_FTS_ROW}); END",
    "CREATE TRIGGER resources_fts_delete AFTER DELETE ON resources BEGIN "
    "DELETE FROM resources_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER resources_fts_update AFTER UPDATE OF guild_id, status, title, description, tags ON resources "
    "BEGIN DELETE FROM resources_fts WHERE rowid = old.id; "
    f"INSERT INTO resources_fts (rowid, scope, title, description, tags) SELECT new.id, {OLD_FTS_ROW} "
    "WHERE new.status = 'approved'; END",
    "INSERT INTO resources_fts (rowid, scope, title, description, tags) "
    "SELECT id, 'g' || guild_id, title, description, replace(tags, ',', ' ') FROM resources "
    "WHERE status = 'approved'",
]
OLD_POSTGRES_SEARCH = [
    "CREATE INDEX ix_resources_search ON resources USING gin (("
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', replace(tags, ',', ' ')), 'B') || "
    "setweight(to_tsvector('simple', description), 'C')))",
]


def _drop_sqlite_search() -> None:
    for name in ("resources_fts_update", "resources_fts_delete", "resources_fts_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS resources_fts")


def _fill_search_columns() -> None:
    """Every existing row's search columns, computed by the same function new rows use."""
    connection = op.get_bind()
    resources = sa.table(
        "resources",
        sa.column("id", sa.Integer()),
        sa.column("title", sa.Text()),
        sa.column("tags", sa.Text()),
        sa.column("description", sa.Text()),
        *(sa.column(name, sa.Text()) for name in COLUMNS),
    )
    update = (
        resources.update()
        .where(resources.c.id == sa.bindparam("row_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in COLUMNS})
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(resources.c.id, resources.c.title, resources.c.tags, resources.c.description)
            .where(resources.c.id > last)
            .order_by(resources.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            update,
            [
                {
                    "row_id": row.id,
                    "new_search_title": index_text(row.title or ""),
                    "new_search_tags": index_text(row.tags or ""),
                    "new_search_description": index_text(row.description or ""),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_search()
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_resources_search")
    for name in COLUMNS:
        op.add_column("resources", sa.Column(name, sa.Text(), server_default="", nullable=False))
    _fill_search_columns()
    statements = SQLITE_SEARCH if dialect == "sqlite" else POSTGRES_SEARCH if dialect == "postgresql" else []
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_search()
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS resources_search_sync ON resources")
        op.execute("DROP FUNCTION IF EXISTS resources_search_sync()")
        op.execute("DROP TABLE IF EXISTS resources_search")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
    statements = OLD_SQLITE_SEARCH if dialect == "sqlite" else OLD_POSTGRES_SEARCH if dialect == "postgresql" else []
    for statement in statements:
        op.execute(statement)
