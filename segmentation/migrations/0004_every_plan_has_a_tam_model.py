"""Every plan gets its first TAM model when it is created (segmentation's ready()); plans made before
that get theirs here, so pages only ever read it."""

from __future__ import annotations

from django.db import migrations


def _add(apps: object, schema_editor: object) -> None:
    StrategyPlan = apps.get_model("salesplan", "StrategyPlan")
    TamModel = apps.get_model("segmentation", "TamModel")
    for plan in StrategyPlan.objects.filter(tam_models__isnull=True):
        TamModel.objects.create(plan=plan, name="Share of revenue")


class Migration(migrations.Migration):
    dependencies = [("segmentation", "0003_scores_need_data_decisions_used"), ("salesplan", "0004_freshness")]

    operations = [migrations.RunPython(_add, migrations.RunPython.noop)]
