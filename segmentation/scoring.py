"""How an account is scored against an Ideal Customer Profile, in two forms that must agree exactly:

* ``score_one``: Python, for one account (an answer given, the explanation on the account page);
* ``score_sql``: one set-based SELECT over every account, for the scoring job.

Each criterion earns its weight when the account matches, half its weight for a "partly" answer and 0 when
it does not match. An unknown counts at the neutral value, half its weight, so the score (0–100) is over
the *whole* weight: a "yes" raises it, a "no" lowers it, a "partly" leaves it. ``coverage`` says how much
of the weight is known, and rates the score: tiers A and B need ``min_known_pct`` of the weight known;
below it the account is "Needs data" (``N``), unless even a "yes" to every unknown would keep it under
tier B, in which case its C or D is honest. So an unknown never lifts an account into A or B, and a
"Needs data" account ranks after every rated one and stays out of the SAM and the focus dollars
(docs/icp-format.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from segmentation.models import NEEDS_DATA, RATED_TIERS, Criterion, IdealCustomerProfile

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

# What a rep finds out to make an unknown data criterion known, in their words.
FIND_OUT = {
    "opportunity": "How much it spends in our category (its wallet)",
    "annual_revenue": "Its annual revenue",
    "employees": "How many people it employs",
    "wallet": "How much it spends in our category (its wallet)",
    "current_sales": "What we sell to it today",
    "founded_year": "The year it was founded",
    "vertical": "Its industry (vertical)",
    "country": "Its country",
    "state": "Its state or region",
    "ownership": "Whether it is public or private",
    "lifecycle": "Whether it is a prospect, a customer or a former customer",
    "public": "Whether it is a public company",
}


@dataclass
class Result:
    score: Decimal | None
    matched: int
    unknown: int
    total: int
    coverage: int
    tier: str
    points: list[float | None]

    @property
    def rated(self) -> bool:
        return self.tier in RATED_TIERS


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
    total = sum(c.weight for c in criteria)
    known = sum((c.weight for c, p in zip(criteria, points, strict=True) if p is not None), 0)
    earned = sum((p for p in points if p is not None), Decimal(0))
    return Result(
        # 100 × (earned + half the unknown weight) / total weight, written over 2 × total to stay exact.
        score=_round(Decimal(100) * (2 * earned + total - known) / (2 * total), "0.1") if total else None,
        matched=sum(1 for p in points if p is not None and p > 0),
        unknown=sum(1 for p in points if p is None),
        total=len(criteria),
        coverage=int(_round(Decimal(100) * known / total, "1")) if total else 0,
        tier=icp.tier_for(earned=float(earned), known=float(known), total=float(total)),
        points=[None if p is None else float(p) for p in points],
    )


@dataclass
class Missing:
    """An unknown criterion of one account: what to find out, and how far the answer moves the score."""

    criterion: Criterion
    find_out: str
    swing: float  # points a "yes" adds to the score, and a "no" takes away


def find_out_text(criterion: Criterion) -> str:
    if criterion.kind == Criterion.Kind.QUESTION:
        return criterion.question or criterion.name
    return FIND_OUT.get(criterion.field, criterion.name)


def score_outlook(icp: IdealCustomerProfile, criteria: list[Criterion], points: list[float | None]) -> dict[str, Any]:
    """How sure a stored score is and what would change it most: the lowest and highest scores (and tiers)
    the unknowns still allow, the unknown criteria by weight, and for a "Needs data" account the fewest
    of them that would rate it."""
    points = list(points) + [None] * (len(criteria) - len(points))
    total = sum(c.weight for c in criteria)
    if not total:
        return {}
    known = sum(c.weight for c, p in zip(criteria, points, strict=False) if p is not None)
    earned = sum(p for p in points if p is not None)
    low, high = 100 * earned / total, 100 * (earned + total - known) / total
    missing = sorted(
        (
            Missing(criterion=c, find_out=find_out_text(c), swing=round(50 * c.weight / total, 1))
            for c, p in zip(criteria, points, strict=False)
            if p is None
        ),
        key=lambda m: (-m.criterion.weight, m.criterion.position),
    )
    coverage = 100 * known / total
    needed = max(0.0, icp.min_known_pct * total / 100 - known)  # weight still to find out to be rated
    to_rate: list[Missing] = []
    for item in missing:
        if sum(m.criterion.weight for m in to_rate) >= needed:
            break
        to_rate.append(item)
    if not missing:
        sureness = "certain"
    elif coverage >= max(85, icp.min_known_pct):
        sureness = "high"
    elif coverage >= icp.min_known_pct:
        sureness = "medium"
    else:
        sureness = "low"
    return {
        "low": round(low, 1),
        "high": round(high, 1),
        "low_tier": icp.tier_of_score(low),
        "high_tier": icp.tier_of_score(high),
        "coverage": coverage,
        "sureness": sureness,
        "missing": missing,
        "to_rate": to_rate if needed > 0 else [],
    }


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
    """A SELECT of (account_id, score, matched, unknown, total, coverage, tier, rated, points) per account.

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
    total = sum(int(c.weight) for c in criteria)
    if not total:  # no criteria: nothing to score
        sql = (
            "SELECT t.id AS account_id, NULL AS score, 0 AS matched, 0 AS unknown, 0 AS total, 0 AS coverage, "
            f"'' AS tier, {_false(postgres)} AS rated, t.points FROM ({level2}) t"
        )
        return sql, params
    # The same rule as IdealCustomerProfile.tier_for: unknown weight (total − known) counts half; below the
    # known share, "Needs data" unless a "yes" to every unknown would still stay under tier B.
    needs_data = (
        f"100 * t.known < {int(icp.min_known_pct)} * {total} AND 100 * (t.earned + {total} - t.known) >= "
        f"{int(icp.tier_b_min)} * {total}"
    )
    tiers = " ".join(
        f"WHEN 100 * (2 * t.earned + {total} - t.known) >= {2 * int(minimum) * total} THEN '{tier}'"
        for tier, minimum in (("A", icp.tier_a_min), ("B", icp.tier_b_min), ("C", icp.tier_c_min))
    )
    sql = (
        "SELECT t.id AS account_id, "
        f"round(CAST(100.0 * (2 * t.earned + {total} - t.known) / {2 * total} AS numeric), 1) AS score, "
        f"t.matched, t.unknown, {n} AS total, CAST(round(100.0 * t.known / {total}) AS integer) AS coverage, "
        f"CASE WHEN {needs_data} THEN '{NEEDS_DATA}' {tiers} ELSE 'D' END AS tier, "
        f"CASE WHEN {needs_data} THEN {_false(postgres)} ELSE {_true(postgres)} END AS rated, t.points "
        f"FROM ({level2}) t"
    )
    return sql, params


def _true(postgres: bool) -> str:
    return "TRUE" if postgres else "1"


def _false(postgres: bool) -> str:
    return "FALSE" if postgres else "0"
