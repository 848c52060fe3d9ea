"""The published territory design's rules over a few accounts, for accounts.placement (the import
report's "these accounts will change territory"). The same rules, in the same order, as placement itself
(services/territories.py), restricted to the accounts asked about."""

from __future__ import annotations

from accounts.models import Account, Vertical
from accounts.placement import Placement
from salesplan.models import TerritoryDesign
from segmentation.models import AssignmentRule
from segmentation.services.territories import territory_rule_sql


def published_placement(accounts_sql: str, params: list[object]) -> Placement | None:
    """SELECT (account_id, territory_id) of the accounts ``accounts_sql`` selects: the first rule of the
    published design that matches each one, NULL when none does."""
    # Read, not the cached id every scoped query uses: what is recorded must name a design that exists now.
    design_id = (
        TerritoryDesign.objects.filter(status=TerritoryDesign.Status.PUBLISHED).values_list("pk", flat=True).first()
    )
    if design_id is None:
        return None
    rules = list(AssignmentRule.objects.filter(design_id=design_id).select_related("territory"))
    vertical_ids = dict(Vertical.objects.values_list("name", "id"))
    rule_params: list[object] = []
    cases = " ".join(
        f"WHEN {territory_rule_sql(rule, rule_params, vertical_ids)} THEN {int(rule.territory_id)}" for rule in rules
    )
    territory = f"CASE {cases} END" if rules else "NULL"
    # Names come from our own models and rules; every value is a parameter.
    sql = (
        f"SELECT a.id AS account_id, CAST({territory} AS bigint) AS territory_id "  # noqa: S608
        f"FROM {Account._meta.db_table} a WHERE a.id IN ({accounts_sql})"
    )
    return Placement(design_id=design_id, sql=sql, params=[*rule_params, *params])
