"""Index for the ICP matrix's default order: best score first (unknown last), then the best known."""

from __future__ import annotations

from django.db import migrations

CREATE = {
    "postgresql": "CREATE INDEX score_icp_rank_idx ON segmentation_accountscore "
    "(icp_id, score DESC NULLS LAST, coverage DESC NULLS LAST, account_id)",
    # SQLite sorts NULLs first in DESC order and cannot index otherwise; the index still serves the sort.
    "sqlite": "CREATE INDEX score_icp_rank_idx ON segmentation_accountscore (icp_id, score DESC, coverage DESC, account_id)",
}


def _create(apps: object, schema_editor: object) -> None:
    sql = CREATE.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)


def _drop(apps: object, schema_editor: object) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS score_icp_rank_idx", params=None)


class Migration(migrations.Migration):
    dependencies = [("segmentation", "0001_initial")]

    operations = [migrations.RunPython(_create, _drop)]
