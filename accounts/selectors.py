"""Reads of accounts, always scoped to the user asking."""

from __future__ import annotations

import datetime

from django.core.cache import cache
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Lower, NullIf, RowNumber

from accounts.models import (
    Account,
    AccountImport,
    AccountPlan,
    AccountStrategy,
    AccountTerritory,
    ImportChange,
    IndustryMapping,
    Lifecycle,
    PlanAction,
    PlanFollowUp,
    PlanObjective,
    PlanStatus,
    PossibleDuplicate,
    Strategy,
    Vertical,
)
from salesplan.models import User
from salesplan.selectors import territory_design_published_id, visibility_fingerprint, visible_scope
from salesplan.services.freshness import input_version, inputs_changed

# The columns the account list sorts by (URL key -> fields), shared by the list and its exports.
ACCOUNT_SORT_COLUMNS: dict[str, str | tuple[str, ...]] = {
    "name": "name", "industry": "industry", "vertical": "vertical__name", "revenue": "annual_revenue",
    "employees": "employees", "location": ("state", "city"), "lifecycle": "lifecycle", "sales": "current_sales",
    "wallet": "wallet", "owner": "owner__last_name",
}  # fmt: skip


def accounts_visible_to(user: User) -> QuerySet[Account]:
    """The one access rule for accounts: a leader sees all; a manager or rep sees the accounts they (or
    their reps) own and the accounts of their (their reps') territories in the published design.

    Every page, filter choice list, chart and export starts here. The rule is one ``id IN (… UNION …)``
    over two indexed lookups, which the database turns into a join of the few visible ids; an ``OR`` of
    the two would make it test every account. The ids come from ``visible_scope``, the same scope every
    cached figure of the user is keyed by.
    """
    qs = Account.objects.all()
    if user.is_leader:
        return qs
    scope = visible_scope(user)
    people, territories = list(scope.people), scope.published_territories

    def placeholders(values: list[int]) -> str:
        return ", ".join(["%s"] * len(values)) or "NULL"

    # Only placeholders are formatted into the SQL; every value is a parameter.
    sql = f"SELECT id FROM accounts_account WHERE owner_id IN ({placeholders(people)})"  # noqa: S608
    params: list[int | None] = list(people)
    if territories:
        in_territories = f"territory_id IN ({placeholders(territories)})"
        sql += f" UNION SELECT account_id FROM accounts_accountterritory WHERE design_id = %s AND {in_territories}"  # noqa: S608
        params += [scope.design_id, *territories]
    return qs.filter(pk__in=RawSQL(sql, params))  # noqa: S611


def accounts_summary(accounts: QuerySet[Account]) -> dict[str, int | None]:
    """Headline counts and dollars of a set of accounts, in one query."""
    return accounts.aggregate(
        total=Count("pk"),
        customers=Count("pk", filter=Q(lifecycle=Lifecycle.CUSTOMER)),
        prospects=Count("pk", filter=Q(lifecycle=Lifecycle.PROSPECT)),
        former=Count("pk", filter=Q(lifecycle=Lifecycle.FORMER)),
        **_CUSTOMER_WALLET,  # first: an aggregate named "wallet" would hide the column from their filters
        current_sales=Sum("current_sales"),
        wallet=Sum("wallet"),
        missing_revenue=Count("pk", filter=Q(annual_revenue__isnull=True)),
        missing_employees=Count("pk", filter=Q(employees__isnull=True)),
        missing_industry=Count("pk", filter=Q(industry="")),
        missing_location=Count("pk", filter=Q(state="") | Q(city="")),
    )


def accounts_summary_for(user: User) -> dict[str, int | None]:
    """``accounts_summary`` of what the user sees, kept until the accounts or what the user sees change (the
    leader's home page would otherwise aggregate a million accounts on every visit)."""
    key = f"accounts:summary:{_accounts_fingerprint(user)}"
    summary = cache.get(key)
    if summary is None:
        summary = accounts_summary(accounts_visible_to(user))
        cache.set(key, summary, _CHOICES_TTL)
    return summary


def accounts_by_owner_for(user: User) -> dict[int, dict[str, int]]:
    """``accounts_by_owner`` of what the user sees, kept like ``accounts_summary_for``."""
    key = f"accounts:by-owner:{_accounts_fingerprint(user)}"
    rows = cache.get(key)
    if rows is None:
        rows = accounts_by_owner(accounts_visible_to(user))
        cache.set(key, rows, _CHOICES_TTL)
    return rows


def accounts_by_owner(accounts: QuerySet[Account]) -> dict[int, dict[str, int]]:
    """owner id -> counts and dollars, for team tables."""
    rows = accounts.values("owner_id").annotate(
        total=Count("pk"),
        customers=Count("pk", filter=Q(lifecycle=Lifecycle.CUSTOMER)),
        **_CUSTOMER_WALLET,  # first: an aggregate named "wallet" would hide the column from their filters
        current_sales=Sum("current_sales"),
        wallet=Sum("wallet"),
    )
    return {row["owner_id"]: row for row in rows}


# Our share of our customers' spend is their sales over their wallets, counted where the wallet is known
# (our sales to a customer of unknown spend would otherwise inflate it); ``wallet`` is the whole market's.
_CUSTOMER_WALLET = {
    "customer_sales_known": Sum("current_sales", filter=Q(lifecycle=Lifecycle.CUSTOMER, wallet__isnull=False)),
    "customer_wallet": Sum("wallet", filter=Q(lifecycle=Lifecycle.CUSTOMER)),
}


def wallet_share_pct(figures: dict[str, int | None]) -> float | None:
    """Our share (in %) of what our customers spend in our category, from ``accounts_summary`` figures."""
    wallet = figures.get("customer_wallet")
    return (figures.get("customer_sales_known") or 0) * 100 / wallet if wallet else None


_CHOICES_TTL = 10 * 60
ACCOUNTS_INPUT = "accounts"  # the input version every result computed from accounts reads
STRATEGIES_INPUT = "strategies"  # bumped when someone chooses an account's strategy


def accounts_data_version() -> int:
    """Bumped by every write that adds, changes or removes accounts; read from the database, so a web
    process sees what a worker's import did."""
    return input_version(ACCOUNTS_INPUT)


def _accounts_fingerprint(user: User) -> str:
    # What the user sees and the accounts' version, read once per request however many cached lists it shows.
    return visibility_fingerprint(user, inputs=(ACCOUNTS_INPUT,))


def accounts_data_changed() -> None:
    """Called after writes that add, change or remove accounts (inside their transaction): cached choice
    lists and summaries are rebuilt, and scores, placement and rankings are brought up to date after the
    commit."""
    inputs_changed(ACCOUNTS_INPUT)


def _distinct_values(user: User, field: str) -> list[str]:
    # A DISTINCT over a million accounts takes a noticeable fraction of a second, so each user's
    # choice lists are kept for a while, and rebuilt as soon as an import changes the accounts or the user's
    # scope changes (a team move, a published design).
    key = f"accounts:choices:{field}:{_accounts_fingerprint(user)}"
    values = cache.get(key)
    if values is None:
        values = list(
            accounts_visible_to(user).exclude(**{field: ""}).order_by(field).values_list(field, flat=True).distinct()
        )
        cache.set(key, values, _CHOICES_TTL)
    return values


def account_industry_choices(user: User) -> list[str]:
    return _distinct_values(user, "industry")


def account_country_choices(user: User) -> list[str]:
    return _distinct_values(user, "country")


def account_state_choices(user: User) -> list[str]:
    return _distinct_values(user, "state")


def imports_visible_to(user: User) -> QuerySet[AccountImport]:
    """Imports are the leader's tool: a leader sees every import; others see the ones they started."""
    qs = AccountImport.objects.select_related("created_by", "job")
    return qs if user.is_leader else qs.filter(created_by=user)


def verticals_with_counts() -> QuerySet[Vertical]:
    """Verticals with how many accounts and industries each holds (the leader's view: all accounts)."""
    return Vertical.objects.annotate(
        account_count=Count("accounts", distinct=True), industry_count=Count("industries", distinct=True)
    ).order_by("name")


def industry_mappings_with_counts() -> QuerySet[IndustryMapping]:
    """Every industry seen in the data, its vertical, and how many accounts carry it."""
    per_industry = (
        Account.objects.annotate(key=Lower("industry"))
        .filter(key=OuterRef("industry_key"))
        .order_by()
        .values("key")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return IndustryMapping.objects.select_related("vertical").annotate(accounts=Coalesce(Subquery(per_industry), 0))


# --- Strategic account plans ----------------------------------------------------------------------


def account_plans_visible_to(user: User) -> QuerySet[AccountPlan]:
    """The one access rule for plans: a rep sees their own, a manager their own and their team's, the
    leader all. Every plan page, list, export, comment and follow-up starts here."""
    qs = AccountPlan.objects.select_related("account", "owner", "owner__team", "decided_by")
    if user.is_leader:
        return qs
    if user.is_manager:
        return qs.filter(Q(owner=user) | Q(owner__team__manager=user))
    return qs.filter(owner=user)


def account_plans_with_figures(plans: QuerySet[AccountPlan], today: datetime.date) -> QuerySet[AccountPlan]:
    """Each plan with its expected return (the objectives' targets), planned sales hours, the return per
    hour (ROSTI) and its overdue follow-ups."""
    targets = (
        PlanObjective.objects.filter(plan=OuterRef("pk")).values("plan").annotate(total=Sum("target")).values("total")
    )
    hours = PlanAction.objects.filter(plan=OuterRef("pk")).values("plan").annotate(total=Sum("hours")).values("total")
    late = (
        PlanFollowUp.objects.filter(plan=OuterRef("pk"), done_at=None, due__lt=today)
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return plans.annotate(
        expected=Subquery(targets),
        hours=Subquery(hours, output_field=DecimalField()),
        overdue=Coalesce(Subquery(late), 0),
    ).annotate(
        rosti=ExpressionWrapper(
            Cast(F("expected"), DecimalField(max_digits=20, decimal_places=2)) / NullIf(F("hours"), Value(0)),
            output_field=DecimalField(max_digits=20, decimal_places=2),
        )
    )


def account_plans_by_status(plans: QuerySet[AccountPlan]) -> dict[str, int]:
    """How many of ``plans`` are in each status (one query)."""
    counts = plans.order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in counts}


def plan_review_queue(user: User) -> QuerySet[AccountPlan]:
    """Submitted plans this user reviews (their team's; all for the leader), oldest submission first."""
    qs = account_plans_visible_to(user).filter(status=PlanStatus.SUBMITTED).exclude(owner=user)
    return qs.order_by("submitted_at", "pk")


def follow_ups_visible_to(user: User) -> QuerySet[PlanFollowUp]:
    """Follow-ups of the plans the user sees, and any given to the user."""
    plans = account_plans_visible_to(user).values("pk")
    return PlanFollowUp.objects.filter(Q(plan__in=plans) | Q(owner=user)).select_related(
        "plan__account", "owner", "created_by"
    )


def follow_ups_overdue_for(user: User, today: datetime.date) -> QuerySet[PlanFollowUp]:
    """Open follow-ups past their date: the user's own, and for a manager or leader those of the plans
    they see."""
    return follow_ups_visible_to(user).filter(done_at=None, due__lt=today).order_by("due", "pk")


def account_territory_path(account: Account) -> list[str]:
    """Region → area → territory of the account in the published design ([] when it is not placed)."""
    design_id = territory_design_published_id()
    if design_id is None:
        return []
    placed = (
        AccountTerritory.objects.filter(design_id=design_id, account=account)
        .select_related("territory__parent__parent")
        .first()
    )
    path, node = [], placed.territory if placed else None
    while node is not None and len(path) < 5:
        path.insert(0, node.name)
        node = node.parent
    return path


def plan_detail_rows(plan: AccountPlan) -> dict[str, list]:
    """The rows of a plan, each with what its page shows next to it."""
    return {
        "contacts": list(plan.contacts.select_related("relationship_owner", "reports_to")),
        "competitors": list(plan.competitors.all()),
        "objectives": list(plan.objectives.all()),
        "actions": list(plan.actions.select_related("owner", "objective")),
        "comments": list(plan.comments.select_related("author")),
        "follow_ups": list(plan.follow_ups.select_related("owner", "created_by")),
        "events": list(plan.events.select_related("actor")[:60]),
    }


def strategies_latest() -> QuerySet[AccountStrategy]:
    """Each account's latest strategy choice (the one that stands), set-based: choices are few next to
    accounts, so one window over them serves every account at once."""
    ranked = AccountStrategy.objects.annotate(
        n=Window(RowNumber(), partition_by=[F("account_id")], order_by=[F("created_at").desc(), F("pk").desc()])
    )
    return ranked.filter(n=1).order_by()


def accounts_strategy_attach(accounts: list[Account], user: User) -> None:
    """Set ``strategy`` (the latest choice, or None) and ``visible_plan`` (the plan the user may open, or None)
    on each account of a list page: two queries for the page."""
    ids = [a.pk for a in accounts]
    latest: dict[int, str] = {}
    for account_id, strategy in (
        AccountStrategy.objects.filter(account_id__in=ids).order_by("account_id", "created_at", "pk")
    ).values_list("account_id", "strategy"):
        latest[account_id] = strategy  # ascending: the last one written wins
    visible = account_plans_visible_to(user).select_related(None).filter(account_id__in=ids)
    plans = {p.account_id: p for p in visible.only("pk", "account_id", "status")}
    for account in accounts:
        account.strategy = Strategy(latest[account.pk]).label if account.pk in latest else None
        account.visible_plan = plans.get(account.pk)


# --- What imports changed, and their possible duplicates (the leader's, like imports) ---------------


def possible_duplicates_visible_to(user: User) -> QuerySet[PossibleDuplicate]:
    """Possible duplicates are resolved by the leader, who sees every account: a leader sees them all,
    anyone else none (so each one is a 404)."""
    qs = PossibleDuplicate.objects.select_related(
        "account_import", "account", "account__owner", "existing", "existing__owner", "resolved_by"
    )
    return qs if user.is_leader else qs.none()


def import_changes_visible_to(user: User) -> QuerySet[ImportChange]:
    """The before and after values of accounts imports changed: the leader's, like possible duplicates."""
    qs = ImportChange.objects.select_related("account", "account_import", "territory_before", "territory_after")
    return qs if user.is_leader else qs.none()
