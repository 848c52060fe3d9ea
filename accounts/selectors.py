"""Reads of accounts, always scoped to the user asking."""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Lower, RowNumber

from accounts.models import (
    Account,
    AccountImport,
    AccountStrategy,
    AccountTerritory,
    ImportChange,
    IndustryMapping,
    Lifecycle,
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


def strategies_latest() -> QuerySet[AccountStrategy]:
    """Each account's latest strategy choice (the one that stands), set-based: choices are few next to
    accounts, so one window over them serves every account at once."""
    ranked = AccountStrategy.objects.annotate(
        n=Window(RowNumber(), partition_by=[F("account_id")], order_by=[F("created_at").desc(), F("pk").desc()])
    )
    return ranked.filter(n=1).order_by()


AccountListAttacher = Callable[[list[Account], User], None]
_LIST_ATTACHERS: list[AccountListAttacher] = []


def account_list_attacher_register(attacher: AccountListAttacher) -> None:
    """Apps above accounts add what they know of each account of a list page (accountplans: the plan the
    user may open, as ``visible_plan``), registered from their ``AppConfig.ready()``."""
    if attacher not in _LIST_ATTACHERS:
        _LIST_ATTACHERS.append(attacher)


def accounts_strategy_attach(accounts: list[Account], user: User) -> None:
    """Set ``strategy`` (the latest choice's label, or None) on each account of a list page in one query, and
    whatever the apps above accounts attach (``visible_plan``: the plan the user may open, or None)."""
    ids = [a.pk for a in accounts]
    latest: dict[int, str] = {}
    for account_id, strategy in (
        AccountStrategy.objects.filter(account_id__in=ids).order_by("account_id", "created_at", "pk")
    ).values_list("account_id", "strategy"):
        latest[account_id] = strategy  # ascending: the last one written wins
    for account in accounts:
        account.strategy = Strategy(latest[account.pk]).label if account.pk in latest else None
        account.visible_plan = None
    for attacher in _LIST_ATTACHERS:
        attacher(accounts, user)


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
