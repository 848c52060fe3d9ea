"""How an account is scored against an Ideal Customer Profile, in two forms that must agree exactly:

* ``score_one``: Python, for one account (an answer given, the explanation on the account page);
* ``score_sql``: one set-based SELECT over every account, for the scoring job.

Each criterion earns its weight when the account matches, half its weight for a "partly" answer, 0 when
it does not match, and nothing at all when the account's value is unknown: the score (0–100) is the
points earned over the weight of the *known* criteria, and ``coverage`` says how much of the weight
was known. An unknown is never counted as a miss or a match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from segmentation.models import Criterion, IdealCustomerProfile

# Fields a range criterion can read: label and how its values are shown.
RANGE_FIELDS = {
    "opportunity": ("Our $ opportunity (wallet − our sales)", "usd"),
    "annual_revenue": ("Annual revenue", "usd"),
    "employees": ("Employees", "count"),
    "wallet": ("Spend in our category (wallet)", "usd"),
    "current_sales": ("Our sales to it", "usd"),
    "founded_year": ("Founded (year)", "year"),
}
CATEGORY_FIELDS = {
    "vertical": "Vertical",
    "country": "Country",
    "state": "State / region",
    "ownership": "Ownership",
    "lifecycle": "Lifecycle",
}
FACTS = {
    "public": "Is a public company",
    "customer": "Is a current customer",
    "former_customer": "Is a former customer",
    "has_parent": "Belongs to a parent company",
    "has_website": "Has a known web address",
}
ANSWER_POINTS = {"yes": Decimal(1), "partly": Decimal("0.5"), "no": Decimal(0)}


@dataclass
class Result:
    score: Decimal | None
    matched: int
    unknown: int
    total: int
    coverage: int
    tier: str
    points: list[float | None]


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def account_value(criterion: Criterion, account: Any, answers: Mapping[str, str]) -> Any:
    """The value a criterion reads from an account (None when unknown), for scoring and for display."""
    kind, field = criterion.kind, criterion.field
    if kind == Criterion.Kind.QUESTION:
        return answers.get(criterion.key)
    if kind == Criterion.Kind.RANGE:
        if field == "opportunity":
            return None if account.wallet is None else account.wallet - (account.current_sales or 0)
        return getattr(account, field)
    if kind == Criterion.Kind.CATEGORY:
        if field == "vertical":
            return account.vertical.name if account.vertical_id else None
        return getattr(account, field) or None
    return _fact(field, account)


def _fact(fact: str, account: Any) -> bool | None:
    if fact == "public":
        return None if not account.ownership else account.ownership == "public"
    if fact == "customer":
        return account.lifecycle == "customer"
    if fact == "former_customer":
        return account.lifecycle == "former"
    if fact == "has_parent":
        return account.parent_id is not None
    if fact == "has_website":
        return bool(account.domain)
    raise ValueError(f"Unknown fact {fact!r}")


def criterion_points(criterion: Criterion, value: Any) -> Decimal | None:
    weight = Decimal(criterion.weight)
    if value is None:
        return None
    kind = criterion.kind
    if kind == Criterion.Kind.QUESTION:
        return weight * ANSWER_POINTS[value]
    if kind == Criterion.Kind.RANGE:
        low_ok = criterion.min_value is None or value >= criterion.min_value
        high_ok = criterion.max_value is None or value <= criterion.max_value
        return weight if low_ok and high_ok else Decimal(0)
    if kind == Criterion.Kind.CATEGORY:
        return weight if value in set(criterion.values) else Decimal(0)
    return weight if value == criterion.expected else Decimal(0)


def score_one(
    icp: IdealCustomerProfile, criteria: Iterable[Criterion], account: Any, answers: Mapping[str, str]
) -> Result:
    criteria = list(criteria)
    points = [criterion_points(c, account_value(c, account, answers)) for c in criteria]
    total_weight = sum(c.weight for c in criteria)
    known = sum((c.weight for c, p in zip(criteria, points, strict=True) if p is not None), 0)
    earned = sum((p for p in points if p is not None), Decimal(0))
    return Result(
        score=_round(Decimal(100) * earned / known, "0.1") if known else None,
        matched=sum(1 for p in points if p is not None and p > 0),
        unknown=sum(1 for p in points if p is None),
        total=len(criteria),
        coverage=int(_round(Decimal(100) * known / total_weight, "1")) if total_weight else 0,
        tier=icp.tier_for(float(earned), float(known)),
        points=[None if p is None else float(p) for p in points],
    )


# --- The set-based form ---------------------------------------------------------------------------------


def _value_sql(
    criterion: Criterion, params: list[Any], vertical_ids: Mapping[str, int], answer_columns: Mapping[str, str]
) -> str:
    """SQL for a criterion's points over accounts ``a`` and the answers pivot ``ans``; NULL when unknown."""
    w = int(criterion.weight)
    kind, field = criterion.kind, criterion.field
    if kind == Criterion.Kind.QUESTION:
        column = answer_columns[criterion.key]
        return f"CASE ans.{column} WHEN 'yes' THEN {w}.0 WHEN 'partly' THEN {w / 2} WHEN 'no' THEN 0.0 END"
    if kind == Criterion.Kind.RANGE:
        if field not in RANGE_FIELDS:
            raise ValueError(f"Unknown range field {field!r}")
        value = "(a.wallet - COALESCE(a.current_sales, 0))" if field == "opportunity" else f"a.{field}"
        known = "a.wallet IS NULL" if field == "opportunity" else f"a.{field} IS NULL"
        tests = []
        if criterion.min_value is not None:
            tests.append(f"{value} >= {int(criterion.min_value)}")
        if criterion.max_value is not None:
            tests.append(f"{value} <= {int(criterion.max_value)}")
        match = " AND ".join(tests) or "1 = 1"
        return f"CASE WHEN {known} THEN NULL WHEN {match} THEN {w}.0 ELSE 0.0 END"
    if kind == Criterion.Kind.CATEGORY:
        if field == "vertical":
            ids = [vertical_ids[name] for name in criterion.values if name in vertical_ids]
            members = ", ".join(str(int(i)) for i in ids) or "NULL"
            return (
                f"CASE WHEN a.vertical_id IS NULL THEN NULL WHEN a.vertical_id IN ({members}) THEN {w}.0 ELSE 0.0 END"
            )
        if field not in CATEGORY_FIELDS:
            raise ValueError(f"Unknown category field {field!r}")
        values = [str(v) for v in criterion.values]
        params.extend(values)
        members = ", ".join(["%s"] * len(values)) or "NULL"
        return f"CASE WHEN a.{field} = '' THEN NULL WHEN a.{field} IN ({members}) THEN {w}.0 ELSE 0.0 END"
    expected = "" if criterion.expected else "NOT "
    facts = {
        "public": ("a.ownership = ''", "a.ownership = 'public'"),
        "customer": ("1 = 0", "a.lifecycle = 'customer'"),
        "former_customer": ("1 = 0", "a.lifecycle = 'former'"),
        "has_parent": ("1 = 0", "a.parent_id IS NOT NULL"),
        "has_website": ("1 = 0", "a.domain <> ''"),
    }
    if field not in facts:
        raise ValueError(f"Unknown fact {field!r}")
    unknown, test = facts[field]
    return f"CASE WHEN {unknown} THEN NULL WHEN {expected}({test}) THEN {w}.0 ELSE 0.0 END"


def score_sql(
    icp: IdealCustomerProfile,
    criteria: list[Criterion],
    *,
    accounts_where: str = "1 = 1",
    where_params: Iterable[Any] = (),
    vertical_ids: Mapping[str, int],
    postgres: bool,
) -> tuple[str, list[Any]]:
    """A SELECT of (account_id, score, matched, unknown, total, coverage, tier, points) for every account.

    Built in levels (points per criterion, then totals, then score and tier), each reading the one
    before, so no criterion is computed twice; on PostgreSQL a volatile, parallel-safe call keeps the
    planner from merging the levels back together.
    """
    # The answers, one column per question, joined once (answers are few next to accounts).
    questions = [c.key for c in criteria if c.kind == Criterion.Kind.QUESTION]
    answer_columns = {key: f"q{i}" for i, key in enumerate(questions)}
    params: list[Any] = []  # in the order their placeholders appear in the statement
    points = [f"{_value_sql(c, params, vertical_ids, answer_columns)} AS p{i}" for i, c in enumerate(criteria)]
    join = ""
    if questions:
        pivot = ", ".join(f"max(CASE WHEN x.key = %s THEN x.answer END) AS {answer_columns[k]}" for k in questions)
        join = (
            f"LEFT JOIN (SELECT x.account_id, {pivot} FROM segmentation_accountanswer x "
            f"WHERE x.key IN ({', '.join(['%s'] * len(questions))}) GROUP BY x.account_id) ans ON ans.account_id = a.id"
        )
        params.extend(questions + questions)
    fence = ", pg_jit_available() AS fence" if postgres else ""
    level1 = (
        f"SELECT a.id{''.join(', ' + p for p in points)}{fence} FROM accounts_account a {join} WHERE {accounts_where}"
    )
    params.extend(where_params)
    n = len(criteria)
    cols = [f"p{i}" for i in range(n)]
    earned = " + ".join(f"COALESCE(s.{c}, 0)" for c in cols) or "0"
    known = (
        " + ".join(
            f"CASE WHEN s.{c} IS NULL THEN 0 ELSE {int(cr.weight)} END" for c, cr in zip(cols, criteria, strict=True)
        )
        or "0"
    )
    matched = " + ".join(f"CASE WHEN s.{c} > 0 THEN 1 ELSE 0 END" for c in cols) or "0"
    unknown = " + ".join(f"CASE WHEN s.{c} IS NULL THEN 1 ELSE 0 END" for c in cols) or "0"
    array = "jsonb_build_array" if postgres else "json_array"
    level2 = (
        f"SELECT s.id, ({earned}) AS earned, ({known}) AS known, ({matched}) AS matched, ({unknown}) AS unknown, "
        f"{array}({', '.join(f's.{c}' for c in cols)}) AS points{fence} FROM ({level1}) s"
    )
    total_weight = sum(int(c.weight) for c in criteria) or 1
    tiers = " ".join(
        f"WHEN 100 * t.earned >= {int(minimum)} * t.known THEN '{tier}'"
        for tier, minimum in (("A", icp.tier_a_min), ("B", icp.tier_b_min), ("C", icp.tier_c_min))
    )
    sql = (
        "SELECT t.id AS account_id, "
        "CASE WHEN t.known > 0 THEN round(CAST(100.0 * t.earned / t.known AS numeric), 1) END AS score, "
        f"t.matched, t.unknown, {n} AS total, CAST(round(100.0 * t.known / {total_weight}) AS integer) AS coverage, "
        f"CASE WHEN t.known <= 0 THEN '' {tiers} ELSE 'D' END AS tier, t.points "
        f"FROM ({level2}) t"
    )
    return sql, params
