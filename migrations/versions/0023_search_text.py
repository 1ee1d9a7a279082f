"""Search the words of descriptions and reflections, not their HTML

The timeline searched the stored HTML (and, for reflections, the JSON around it): "R&D" missed
`R&amp;D`, and "strong" or "task" found every bold text or STARR reflection. Evidence and
reflections now keep their words in `search_text` (lti_tool.richtext.searchable_text); this adds
the column and fills it for the rows written before.

Revision ID: 0023_search_text
Revises: 0022_json_text_unescaped
Create Date: 2026-11-24 23:30:00
"""

import json
from html.parser import HTMLParser

import sqlalchemy as sa
from alembic import op

revision = "0023_search_text"
down_revision = "0022_json_text_unescaped"
branch_labels = None
depends_on = None

ROWS_PER_READ = 1000
BLOCK_TAGS = {"p", "br", "ul", "ol", "li", "blockquote", "h3", "h4", "pre"}


class _Words(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def _words(html):
    """The rule of lti_tool.richtext.searchable_text, written out here: a migration must keep
    doing what it did when it was written, whatever the application's code becomes."""
    if not html:
        return ""
    words = _Words()
    words.feed(html)
    words.close()
    text = " ".join("".join(words.parts).split())
    return text.encode("utf-8", "ignore").decode("utf-8")  # without lone surrogates ("\ud800")


def _content_words(stored):
    content = json.loads(stored) if isinstance(stored, str) else stored
    return " ".join(filter(None, (_words(part) for part in (content or {}).values() if isinstance(part, str))))


def _fill(bind, table, read, words_of):
    last_id = 0
    while True:
        rows = bind.execute(
            sa.text(f"SELECT id, {read} FROM {table} WHERE id > :last ORDER BY id LIMIT {ROWS_PER_READ}"),
            {"last": last_id},
        ).all()
        if not rows:
            return
        filled = [{"words": words, "id": row[0]} for row in rows if (words := words_of(row[1]))]
        if filled:  # one executemany per slice
            bind.execute(sa.text(f"UPDATE {table} SET search_text = :words WHERE id = :id"), filled)
        last_id = rows[-1][0]


def upgrade() -> None:
    for table in ("evidence", "reflections"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    bind = op.get_bind()
    _fill(bind, "evidence", "description", _words)
    # PostgreSQL's driver would parse a json column: read it as text there.
    content = "content::text" if bind.dialect.name == "postgresql" else "content"
    _fill(bind, "reflections", content, _content_words)


def downgrade() -> None:
    for table in ("reflections", "evidence"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("search_text")
