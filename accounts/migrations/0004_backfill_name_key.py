"""Fill Account.name_key for accounts created before it existed."""

from __future__ import annotations

from django.db import migrations


def _backfill(apps: object, schema_editor: object) -> None:
    from accounts.normalize import name_key

    Account = apps.get_model("accounts", "Account")
    batch = []
    for account in Account.objects.filter(name_key="").only("pk", "name").iterator(chunk_size=5_000):
        account.name_key = name_key(account.name)
        batch.append(account)
        if len(batch) == 5_000:
            Account.objects.bulk_update(batch, ["name_key"])
            batch = []
    Account.objects.bulk_update(batch, ["name_key"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_import_sql_functions")]

    operations = [migrations.RunPython(_backfill, migrations.RunPython.noop)]
