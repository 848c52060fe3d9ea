"""Account planning moved to its own app (accountplans): its models leave accounts' migration state here and
accountplans' 0001 takes them up with the same tables. Nothing is done to the database: the tables, their
rows, indexes and constraints stay as they are."""

from django.db import migrations

# Those that point at another plan model go first, so no model left in the state refers to a removed one.
_MOVED = [
    "PlanAction",
    "PlanObjective",
    "PlanComment",
    "PlanCompetitor",
    "PlanContact",
    "PlanEvent",
    "PlanFollowUp",
    "PlanQualification",
    "AccountPlan",
]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_import_matching_and_undo")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in _MOVED],
            database_operations=[],
        )
    ]
