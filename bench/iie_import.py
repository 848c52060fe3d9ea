"""django-import-export importing a CSV slice into Account (the reference most Django projects use).

Run by bench/import_accounts.py; prints the elapsed seconds on the last line.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesplan.settings")

import django

django.setup()

import tablib  # noqa: E402
from import_export import fields, resources  # noqa: E402

from accounts.models import Account  # noqa: E402


class AccountResource(resources.ModelResource):
    # The same columns the project's import reads; import-export stores them as given (no parsing).
    name = fields.Field(attribute="name", column_name="Company")
    website = fields.Field(attribute="website", column_name="Website")
    domain = fields.Field(attribute="domain", column_name="Website")
    industry = fields.Field(attribute="industry", column_name="Industry")
    city = fields.Field(attribute="city", column_name="City")
    state = fields.Field(attribute="state", column_name="State")
    postal_code = fields.Field(attribute="postal_code", column_name="Zip")

    class Meta:
        model = Account
        import_id_fields = ("domain",)
        fields = ("name", "website", "domain", "industry", "city", "state", "postal_code")
        use_transactions = True


dataset = tablib.Dataset().load(Path(sys.argv[1]).read_text(encoding="utf-8"), format="csv")
started = time.perf_counter()
result = AccountResource().import_data(dataset, dry_run=False, raise_errors=True)
print(time.perf_counter() - started)
