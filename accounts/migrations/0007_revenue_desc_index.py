"""Index for the account list's most used sort, "biggest first": revenue descending, unknown last."""

from __future__ import annotations

from django.db import migrations

CREATE = {
    "postgresql": "CREATE INDEX account_revenue_desc_idx ON accounts_account (annual_revenue DESC NULLS LAST, id)",
    # SQLite sorts NULLs first in DESC order and cannot index otherwise; the index still serves the sort.
    "sqlite": "CREATE INDEX account_revenue_desc_idx ON accounts_account (annual_revenue DESC, id)",
}


def _create(apps: object, schema_editor: object) -> None:
    sql = CREATE.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)


def _drop(apps: object, schema_editor: object) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS account_revenue_desc_idx", params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_default_verticals")]

    operations = [
        migrations.RemoveIndex(model_name="account", name="account_revenue_idx"),
        migrations.RunPython(_create, _drop),
    ]
