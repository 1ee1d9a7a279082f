"""Store the JSON that is searched as text with its letters, not \\u escapes

The application now writes JSON columns with ensure_ascii=False (lti_tool.db.json_text): a
search in a reflection's stored text, or in an unmatched actor, looks for "cliënt" and must
not meet "cli\\u00ebnt". This rewrites the rows written before, where that text is searched.
Only the spelling changes: every value reads back the same.

Revision ID: 0022_json_text_unescaped
Revises: 0021_feed_claim_index
Create Date: 2026-11-24 21:00:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0022_json_text_unescaped"
down_revision = "0021_feed_claim_index"
branch_labels = None
depends_on = None

# (table, JSON columns) whose stored text is searched, or shown next to what is.
SEARCHED = {
    "reflections": ("content", "draft_content"),
    "reflection_revisions": ("content",),
    "learner_actors": ("actor",),
}
ROWS_PER_READ = 1000


def _unescaped(stored):
    """The same JSON value spelled with its letters, or None when nothing changes.

    The rule of lti_tool.db.json_text, written out here: a migration must keep doing what it
    did when it was written, whatever the application's code becomes."""
    if stored is None:
        return None
    text = stored if isinstance(stored, str) else json.dumps(stored)
    if "\\u" not in text:
        return None
    respelled = json.dumps(json.loads(text), ensure_ascii=False)
    try:
        respelled.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") keeps its escape
        return None
    return respelled if respelled != text else None


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    for table, columns in SEARCHED.items():
        # PostgreSQL's driver would parse a json column: read it as text there.
        read = ", ".join(f"{column}::text" if postgres else column for column in columns)
        last_id = 0
        while True:
            rows = bind.execute(
                sa.text(f"SELECT id, {read} FROM {table} WHERE id > :last ORDER BY id LIMIT {ROWS_PER_READ}"),
                {"last": last_id},
            ).all()
            if not rows:
                break
            value = "CAST(:value AS json)" if postgres else ":value"
            for index, column in enumerate(columns, start=1):
                changed = [{"value": respelled, "id": row[0]} for row in rows if (respelled := _unescaped(row[index])) is not None]
                if changed:  # one executemany per column and slice, not a statement per row
                    bind.execute(sa.text(f"UPDATE {table} SET {column} = {value} WHERE id = :id"), changed)
            last_id = rows[-1][0]


def downgrade() -> None:
    # Escaped and unescaped spellings are the same JSON values: nothing to undo.
    pass
