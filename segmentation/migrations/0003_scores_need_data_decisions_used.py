"""Scores that do not reward missing data, and decisions that are used (issue 12, parts 2 and 6).

* a profile's ``min_known_pct`` (tiers A and B need that share of the weight known) and the "Needs data"
  tier (``N``); ``AccountScore.rated`` and the matrix index that lists rated accounts first;
* ``TierReview.current``: the latest review of a plan's account, one per (plan, account);
* the priority lists: each ranked account's list (ranked growth targets, retain and retire, needs data),
  the tier in force beside the computed one, and the strategy in force.

Scores written before this migration follow the old rule (points over the known weight): score the
profile again (its page: "Score again") to rate every account with the new one.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

RANK_INDEX = {
    # NULLS LAST on every descending column, as the ORM's order (F(...).desc(nulls_last=True)) writes it:
    # PostgreSQL uses an index for an ORDER BY only when the NULLS placement matches too.
    "postgresql": "CREATE INDEX score_icp_rank_idx ON segmentation_accountscore "
    "(icp_id, rated DESC NULLS LAST, score DESC NULLS LAST, coverage DESC NULLS LAST, account_id)",
    "sqlite": "CREATE INDEX score_icp_rank_idx ON segmentation_accountscore "
    "(icp_id, rated DESC, score DESC, coverage DESC, account_id)",
}
OLD_RANK_INDEX = {
    "postgresql": "CREATE INDEX score_icp_rank_idx ON segmentation_accountscore "
    "(icp_id, score DESC NULLS LAST, coverage DESC NULLS LAST, account_id)",
    "sqlite": "CREATE INDEX score_icp_rank_idx ON segmentation_accountscore (icp_id, score DESC, coverage DESC, account_id)",
}


def _rank_index(create):
    def run(apps, schema_editor):
        schema_editor.execute("DROP INDEX IF EXISTS score_icp_rank_idx", params=None)
        sql = create.get(schema_editor.connection.vendor)
        if sql:
            schema_editor.execute(sql, params=None)

    return run


def _rated_and_current(apps, schema_editor):
    """Existing scores keep their tier until re-scored; only the latest review of each (plan, account)
    stays current."""
    AccountScore = apps.get_model("segmentation", "AccountScore")
    TierReview = apps.get_model("segmentation", "TierReview")
    AccountScore.objects.filter(tier__in=["A", "B", "C", "D"]).update(rated=True)
    latest = {}
    for pk, plan_id, account_id in TierReview.objects.order_by("created_at", "pk").values_list(
        "pk", "plan_id", "account_id"
    ):
        latest[(plan_id, account_id)] = pk
    TierReview.objects.exclude(pk__in=list(latest.values())).update(current=False)


class Migration(migrations.Migration):
    dependencies = [
        ("salesplan", "0003_plan_growth_threshold"),
        ("segmentation", "0002_score_rank_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="accountpriority",
            name="priority_territory_rank_idx",
        ),
        migrations.AddField(
            model_name="accountpriority",
            name="computed_tier",
            field=models.CharField(blank=True, max_length=1),
        ),
        migrations.AddField(
            model_name="accountpriority",
            name="list",
            field=models.CharField(
                choices=[("rank", "Ranked growth targets"), ("keep", "Retain and retire"), ("data", "Needs data")],
                default="rank",
                max_length=4,
            ),
        ),
        migrations.AddField(
            model_name="accountpriority",
            name="strategy",
            field=models.CharField(blank=True, help_text="The chosen strategy, else the suggested one.", max_length=10),
        ),
        migrations.AddField(
            model_name="accountpriority",
            name="strategy_chosen",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="accountscore",
            name="rated",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="idealcustomerprofile",
            name="min_known_pct",
            field=models.PositiveSmallIntegerField(
                default=60,
                help_text="Tiers A and B need at least this share of the criteria's weight known; below it an account is “Needs data”, unless no answer could lift it to B.",
                validators=[django.core.validators.MaxValueValidator(100)],
                verbose_name="Known weight for A or B (%)",
            ),
        ),
        migrations.AddField(
            model_name="priorityrun",
            name="kept",
            field=models.PositiveBigIntegerField(default=0, help_text="Accounts to retain or retire, listed apart."),
        ),
        migrations.AddField(
            model_name="priorityrun",
            name="counts",
            field=models.JSONField(
                default=dict, help_text="Accounts per territory and list: {territory id: {list: n}}."
            ),
        ),
        migrations.AlterField(
            model_name="accountpriority",
            name="territory",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="salesplan.territory",
            ),
        ),
        migrations.AlterField(
            model_name="accountpriority",
            name="rank_territory",
            field=models.PositiveIntegerField(help_text="Its place on its list in its territory, from 1."),
        ),
        migrations.AddField(
            model_name="priorityrun",
            name="needs_data",
            field=models.PositiveBigIntegerField(default=0, help_text="Growth targets the rep must find out about."),
        ),
        migrations.AddField(
            model_name="tierreview",
            name="current",
            field=models.BooleanField(default=True, help_text="The latest review of this account in this plan."),
        ),
        migrations.AlterField(
            model_name="accountpriority",
            name="tier",
            field=models.CharField(
                blank=True, help_text="The tier in force (a manager's review, else computed).", max_length=1
            ),
        ),
        migrations.AlterField(
            model_name="accountscore",
            name="score",
            field=models.DecimalField(
                decimal_places=1,
                help_text="0–100 over the whole weight, unknowns counted half",
                max_digits=4,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="accountscore",
            name="tier",
            field=models.CharField(
                blank=True,
                choices=[
                    ("A", "A · ideal"),
                    ("B", "B · good fit"),
                    ("C", "C · weak fit"),
                    ("D", "D · poor fit"),
                    ("N", "Needs data"),
                ],
                max_length=1,
            ),
        ),
        migrations.AlterField(
            model_name="priorityrun",
            name="ranked",
            field=models.PositiveBigIntegerField(default=0, help_text="Growth targets that fit the ICP, ranked."),
        ),
        migrations.AlterField(
            model_name="tierreview",
            name="tier",
            field=models.CharField(
                choices=[
                    ("A", "A · ideal"),
                    ("B", "B · good fit"),
                    ("C", "C · weak fit"),
                    ("D", "D · poor fit"),
                    ("N", "Needs data"),
                ],
                max_length=1,
            ),
        ),
        migrations.AddIndex(
            model_name="accountpriority",
            index=models.Index(fields=["run", "list", "territory", "rank_territory"], name="priority_list_rank_idx"),
        ),
        migrations.RunPython(_rated_and_current, migrations.RunPython.noop),
        migrations.RunPython(_rank_index(RANK_INDEX), _rank_index(OLD_RANK_INDEX)),
        migrations.AddConstraint(
            model_name="tierreview",
            constraint=models.UniqueConstraint(
                condition=models.Q(("current", True)), fields=("plan", "account"), name="tierreview_one_current"
            ),
        ),
    ]
