"""Matching that never merges two different companies: without a domain, a name matches only where the
places agree; a conflict is a possible duplicate that a person resolves. Runs on SQLite and again on
PostgreSQL (the SQL fast path) in the PostgreSQL layer of `make test`."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from accounts.models import (
    Account,
    AccountImport,
    AccountStrategy,
    ImportChange,
    ImportIssue,
    ImportLedger,
    PossibleDuplicate,
)
from accounts.selectors import accounts_data_version
from accounts.services.import_review import possible_duplicate_resolve
from accounts.services.imports import account_import_create, account_import_start
from accounts.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run(org, django_capture_on_commit_callbacks):
    def _do(data: str, *, mode: str = "all") -> AccountImport:
        account_import = account_import_create(
            file=ContentFile(data.encode(), name="list.csv"), name="list.csv", user=org["leader"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            job = account_import_start(
                account_import=account_import, mapping=account_import.mapping, mode=mode, user=org["leader"]
            )
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
        account_import.refresh_from_db()
        return account_import

    return _do


def _pairs(account_import: AccountImport) -> list[tuple[int, str, str, int | None, str]]:
    return [
        (d.row, d.account.name, d.existing.name, d.file_row, d.reason)
        for d in PossibleDuplicate.objects.filter(account_import=account_import).select_related("account", "existing")
    ]


def _snapshot() -> list[dict]:
    return list(Account.objects.order_by("pk").values())


# --- Matching with existing accounts --------------------------------------------------------------


def test_same_name_in_another_city_is_a_possible_duplicate_not_a_merge(run):
    spire = AccountFactory(name="Spire Corporation", domain="", city="Bedford", state="MA", employees=400)
    before = _snapshot()

    account_import = run("Company,City,State,Employees\nSpire,Boston,MA,35\n")

    assert (account_import.created, account_import.updated, account_import.duplicates) == (1, 0, 0)
    assert _snapshot()[: len(before)] == before  # the existing company is untouched
    new = Account.objects.get(name="Spire")
    assert (new.city, new.state, new.employees) == ("Boston", "MA", 35)
    assert _pairs(account_import) == [(2, "Spire", "Spire Corporation", None, "another city: Boston, not Bedford")]
    warning = ImportIssue.objects.get(account_import=account_import)
    assert warning.kind == "warning"
    assert warning.reason.startswith("may be the same company as “Spire Corporation” (another city: Boston")
    assert spire.pk != new.pk


def test_same_name_in_another_state_is_a_possible_duplicate(run):
    AccountFactory(name="IDX Corp", domain="", city="", state="MO")
    account_import = run('Company,City,State\n"IDx",Iowa City,Iowa\n')

    assert account_import.created == 1
    assert _pairs(account_import) == [(2, "IDx", "IDX Corp", None, "another state: IA, not MO")]


def test_a_former_customer_is_not_moved_by_a_namesake_elsewhere(run, org):
    customer = AccountFactory(
        name="Harbor Analytics", domain="", city="Hartford", state="CT", lifecycle="former", owner=org["rep_a1"]
    )
    before = Account.objects.filter(pk=customer.pk).values().get()

    account_import = run("Company,City,State,Lifecycle\nHarbor Analytics,Mountain View,CA,prospect\n")

    assert Account.objects.filter(pk=customer.pk).values().get() == before
    assert account_import.updated == 0
    assert Account.objects.filter(name="Harbor Analytics").count() == 2
    assert PossibleDuplicate.objects.get().existing == customer


@pytest.mark.parametrize(
    ("existing_place", "row_place", "place_after"),
    [
        (("Boston", "MA"), ("boston", "Massachusetts"), ("boston", "MA")),  # the same place, written differently
        (("", "MA"), ("Boston", "MA"), ("Boston", "MA")),  # the existing account has no city: the row fills it in
        (("Boston", "MA"), ("", ""), ("Boston", "MA")),  # the row has no place: nothing disagrees
        (("", ""), ("Boston", "MA"), ("Boston", "MA")),
    ],
)
def test_a_name_matches_where_the_places_agree(run, existing_place, row_place, place_after):
    existing = AccountFactory(name="Beacon Labs", domain="", city=existing_place[0], state=existing_place[1])
    account_import = run(f"Company,City,State,Employees\nBeacon Labs Inc.,{row_place[0]},{row_place[1]},77\n")

    assert (account_import.created, account_import.updated) == (0, 1)
    assert not PossibleDuplicate.objects.exists()
    existing.refresh_from_db()
    assert (existing.employees, existing.city, existing.state) == (77, *place_after)


def test_a_domain_match_is_the_same_company_wherever_it_is(run):
    moved = AccountFactory(name="Acme", domain="acme.com", city="Albany", state="NY")
    account_import = run("Company,Website,City,State\nAcme,acme.com,San Jose,CA\n")

    assert (account_import.updated, account_import.created) == (1, 0)
    moved.refresh_from_db()
    assert (moved.city, moved.state) == ("San Jose", "CA")
    assert not PossibleDuplicate.objects.exists()


def test_the_agreeing_account_wins_over_a_namesake_elsewhere(run):
    AccountFactory(name="Orion", domain="", city="Denver", state="CO")
    boston = AccountFactory(name="Orion", domain="", city="Boston", state="MA")
    account_import = run("Company,City,State,Employees\nOrion,Boston,MA,12\n")

    assert (account_import.updated, account_import.created) == (1, 0)
    boston.refresh_from_db()
    assert boston.employees == 12
    assert not PossibleDuplicate.objects.exists()


# --- A row whose place fits namesakes in several places ----------------------------------------------


def test_a_row_without_a_place_is_not_given_one_of_two_namesakes_on_a_guess(run, org):
    denver = AccountFactory(name="Orion", domain="", city="Denver", state="CO", employees=9)
    boston = AccountFactory(name="Orion Inc.", domain="", city="Boston", state="MA", employees=40)
    before = _snapshot()

    account_import = run("Company,City,State,Employees\nOrion,,,12\n")

    assert (account_import.created, account_import.updated, account_import.duplicates) == (1, 0, 0)
    assert _snapshot()[: len(before)] == before  # neither namesake is updated
    new = Account.objects.get(source=account_import.source_label)
    assert (new.name, new.city, new.state, new.employees) == ("Orion", "", "", 12)
    why = "not enough of a place to tell which of 2 accounts of this name it is"
    assert sorted(_pairs(account_import)) == [(2, "Orion", "Orion", None, why), (2, "Orion", "Orion Inc.", None, why)]
    assert {d.existing_id for d in PossibleDuplicate.objects.all()} == {denver.pk, boston.pk}
    warnings = ImportIssue.objects.filter(account_import=account_import, kind="warning")
    assert {w.reason.split(" (")[0] for w in warnings} == {
        "may be the same company as “Orion”",
        "may be the same company as “Orion Inc.”",
    }
    assert "2 possible duplicates to review" in account_import.message

    # The person says which one it is; the other pair goes with the new record.
    answer = PossibleDuplicate.objects.get(existing=boston)
    possible_duplicate_resolve(duplicate=answer, same=True, user=org["leader"])
    boston.refresh_from_db()
    assert boston.employees == 12
    assert Account.objects.filter(pk=denver.pk).values().get() == before[0]
    assert list(PossibleDuplicate.objects.values_list("existing_id", "status")) == [(boston.pk, "same")]


def test_a_row_without_a_place_and_a_single_namesake_matches_it_as_before(run):
    orion = AccountFactory(name="Orion", domain="", city="Denver", state="CO", employees=9)

    account_import = run("Company,City,State,Employees\nOrion,,,12\n")

    assert (account_import.created, account_import.updated) == (0, 1)
    assert not PossibleDuplicate.objects.exists()
    orion.refresh_from_db()
    assert (orion.employees, orion.city, orion.state) == (12, "Denver", "CO")


@pytest.mark.parametrize(
    ("namesakes", "row_place", "outcome"),
    [
        # Both are in Massachusetts: a row with the state alone fits both.
        ([("Boston", "MA"), ("Bedford", "MA")], ("", "MA"), "possible duplicate"),
        # A city without a state fits Springfield, Massachusetts and Springfield, Illinois.
        ([("Springfield", "MA"), ("Springfield", "IL")], ("Springfield", ""), "possible duplicate"),
        # A namesake without a place is in no other place (it may be the one in Boston): no choice to make.
        ([("Boston", "MA"), ("", "")], ("", ""), "matches the first"),
        # The state settles it: the account in Boston, not the one in California.
        ([("Boston", "MA"), ("San Jose", "CA")], ("", "MA"), "matches the first"),
        # Two namesakes in one place (already twice in the accounts) are no choice between places.
        ([("Boston", "MA"), ("boston", "MA")], ("", ""), "matches the first"),
        # The full place fits only one of two.
        ([("Boston", "MA"), ("Bedford", "MA")], ("Boston", "MA"), "matches the first"),
    ],
)
def test_a_row_fitting_namesakes_in_different_places_is_a_possible_duplicate(run, namesakes, row_place, outcome):
    accounts = [AccountFactory(name="Beacon Labs", domain="", city=c, state=st, employees=1) for c, st in namesakes]
    before = _snapshot()

    account_import = run(f"Company,City,State,Employees\nBeacon Labs,{row_place[0]},{row_place[1]},77\n")

    if outcome == "possible duplicate":
        assert (account_import.created, account_import.updated) == (1, 0)
        assert _snapshot()[: len(before)] == before
        assert {d.existing_id for d in PossibleDuplicate.objects.all()} == {a.pk for a in accounts}
    else:
        assert (account_import.created, account_import.updated) == (0, 1)
        assert not PossibleDuplicate.objects.exists()
        assert [a.employees for a in Account.objects.order_by("pk")] == [77, 1]


# --- Duplicates inside one file --------------------------------------------------------------------


def test_namesakes_in_different_places_in_one_file_are_two_accounts_and_a_pair(run):
    account_import = run("Company,City,State\nIDx,Iowa City,IA\nIDX Corp,,MO\n")

    assert (account_import.created, account_import.duplicates) == (2, 0)
    assert _pairs(account_import) == [(3, "IDX Corp", "IDx", 2, "another state: MO, not IA")]


def test_a_repeat_in_the_same_place_is_skipped_as_before(run):
    account_import = run("Company,City,State,Employees\nNova,Reno,NV,5\nNova LLC,,NV,9\nnova,Reno,Nevada,7\n")

    assert (account_import.created, account_import.duplicates) == (1, 2)
    assert Account.objects.get().employees == 5
    reasons = list(
        ImportIssue.objects.filter(account_import=account_import, kind="duplicate").values_list("row", "reason")
    )
    assert reasons == [
        (3, "the same company as row 2; this row was skipped"),
        (4, "the same company as row 2; this row was skipped"),
    ]


def test_a_row_without_a_place_joins_the_first_company_and_the_next_place_is_its_own(run):
    # Row 3 agrees with row 2 (it has no place); row 4 is in another city than row 2, the company row 3
    # joined: a company of its own, and possibly the same as row 2's.
    account_import = run("Company,City,State\nSpire,Boston,MA\nSpire,,\nSpire,Bedford,MA\nSpire,Bedford,MA\n")

    assert (account_import.created, account_import.duplicates) == (2, 2)
    assert set(Account.objects.values_list("city", flat=True)) == {"Boston", "Bedford"}
    assert _pairs(account_import) == [(4, "Spire", "Spire", 2, "another city: Bedford, not Boston")]


@pytest.mark.parametrize(
    ("data", "created", "skipped", "pairs"),
    [
        # The row without a domain, in the same place as the row with one, is that company: skipped.
        ("Spire,spire.com,Boston,MA\nSpire,,Boston,MA\n", 1, [(3, 2)], []),
        ("Spire,,Boston,MA\nSpire,spire.com,Boston,MA\n", 1, [(2, 3)], []),
        # In another place, it is a company of its own that may be the one with the domain.
        ("Spire,,Bedford,MA\nSpire,spire.com,Boston,MA\n", 2, [], [(2, 3, "another city: Bedford, not Boston")]),
        # Two domains are two companies, wherever they are.
        ("Spire,spire.com,Boston,MA\nSpire,spire.io,Bedford,MA\n", 2, [], []),
    ],
)
def test_a_row_without_a_domain_meets_a_namesake_with_one_in_the_file(run, data, created, skipped, pairs):
    account_import = run("Company,Website,City,State\n" + data)

    assert account_import.created == created
    issues = ImportIssue.objects.filter(account_import=account_import, kind="duplicate")
    assert [(i.row, int(i.reason.split("row ")[1].split(";")[0])) for i in issues] == skipped
    found = PossibleDuplicate.objects.filter(account_import=account_import)
    assert [(d.row, d.file_row, d.reason) for d in found] == pairs


def test_two_rows_that_find_one_account_keep_it_only_where_they_agree(run):
    existing = AccountFactory(name="Falcon Works", domain="", city="", state="MA")
    account_import = run("Company,City,State\nFalcon Works,Boston,MA\nFalcon Works,Bedford,MA\n")

    assert (account_import.updated, account_import.created) == (1, 1)
    existing.refresh_from_db()
    assert existing.city == "Boston"
    assert _pairs(account_import) == [(3, "Falcon Works", "Falcon Works", None, "another city: Bedford, not Boston")]


def test_a_row_with_the_domain_keeps_the_account_over_a_namesake_row(run):
    existing = AccountFactory(name="Keystone", domain="keystone.com", city="Albany", state="NY")
    account_import = run("Company,Website,City,State\nKeystone,,Austin,TX\nKeystone,keystone.com,Albany,NY\n")

    existing.refresh_from_db()
    assert (existing.city, existing.website, account_import.updated) == ("Albany", "https://keystone.com", 1)
    assert account_import.created == 1
    assert _pairs(account_import) == [(2, "Keystone", "Keystone", None, "another state: TX, not NY")]


# --- The report: what changed, and who will see it ------------------------------------------------


def test_each_changed_field_is_recorded_before_and_after(run, org):
    account = AccountFactory(
        name="Granite Co", domain="granite.com", annual_revenue=5_000_000, employees=40, city="Austin", state="TX"
    )
    before = Account.objects.filter(pk=account.pk).values().get()
    account_import = run(
        "Company,Website,Revenue,Employees,City,State,Owner\n"
        "Granite Co,granite.com,$7.5M,,Dallas,TX,rep_a1\nNew Co,new.com,1,2,Reno,NV,\n"
    )

    change = ImportChange.objects.get(account_import=account_import)
    assert change.account_id == account.pk
    assert change.changed_fields() == [
        ("website", "", "https://granite.com"),
        ("annual_revenue", 5_000_000, 7_500_000),
        ("city", "Austin", "Dallas"),
        ("owner_id", None, org["rep_a1"].pk),
    ]
    # The record holds exactly the account as it was, and as it is now.
    after = Account.objects.filter(pk=account.pk).values().get()
    for column in ("name", "annual_revenue", "employees", "city", "state", "owner_id", "domain", "name_key"):
        assert getattr(change, f"before_{column}") == before[column]
        assert getattr(change, f"after_{column}") == after[column]
    assert change.written_at == after["updated_at"]
    assert change.before_updated_at == before["updated_at"]


def test_changed_fields_appear_on_the_report(run, client, org):
    AccountFactory(name="Granite Co", domain="granite.com", annual_revenue=5_000_000, city="Austin", state="TX")
    account_import = run("Company,Website,Revenue,City\nGranite Co,granite.com,$7.5M,Dallas\n")
    client.force_login(org["leader"])

    html = client.get(account_import.get_absolute_url()).content.decode()

    assert "Granite Co" in html
    assert "$5M" in html
    assert "$7.5M" in html
    assert "Austin" in html
    assert "Dallas" in html


@pytest.fixture
def published(org):
    """A published design: New York accounts to rep_a1's territory, California to rep_b1's."""
    from salesplan.tests.factories import PlanFactory
    from segmentation.services.territories import (
        design_create,
        design_publish,
        rule_create,
        territories_apply,
        territory_create,
        territory_rep_set,
    )

    design = design_create(plan=PlanFactory(status="published"), user=org["leader"], name="FY design")
    region = territory_create(design=design, level="region", name="US")
    area = territory_create(design=design, level="area", name="All", parent=region)
    east = territory_create(design=design, level="territory", name="Northeast", parent=area)
    west = territory_create(design=design, level="territory", name="West", parent=area)
    territory_rep_set(territory=east, rep=org["rep_a1"])
    territory_rep_set(territory=west, rep=org["rep_b1"])
    rule_create(design=design, territory=east, states=["NY", "CT"])
    rule_create(design=design, territory=west, states=["CA"])
    return {"design": design, "east": east, "west": west, "apply": territories_apply, "publish": design_publish}


def test_the_report_counts_accounts_whose_territory_changes_without_moving_them(run, published, client, org):
    from accounts.models import AccountTerritory

    movers = [AccountFactory(name=f"Mover {i}", domain=f"mover{i}.com", state="NY") for i in range(3)]
    stayer = AccountFactory(name="Stayer", domain="stayer.com", state="NY", employees=1)
    published["apply"](published["design"])
    published["publish"](published["design"])
    placed_before = set(AccountTerritory.objects.values_list("account_id", "territory_id"))
    lines = [f"Mover {i},mover{i}.com,CA,San Jose" for i in range(3)]
    account_import = run("Company,Website,State,City\n" + "\n".join(lines) + "\nStayer,stayer.com,CT,Hartford\n")

    assert account_import.updated == 4
    moves = ImportChange.objects.filter(account_import=account_import, territory_moves=True)
    assert {c.account_id for c in moves} == {m.pk for m in movers}
    assert {(c.territory_before_id, c.territory_after_id) for c in moves} == {
        (published["east"].pk, published["west"].pk)
    }
    assert account_import.ledger.territory_moves == 3
    assert not ImportChange.objects.get(account_id=stayer.pk).territory_moves  # CT stays in the Northeast
    # The import says what will move; it does not place anyone (the placement is unchanged).
    assert set(AccountTerritory.objects.values_list("account_id", "territory_id")) == placed_before
    assert "3 updated accounts will change territory" in account_import.message
    client.force_login(org["leader"])
    changes = client.get(f"/accounts/imports/{account_import.pk}/changes/?moves=yes").content.decode()
    assert changes.count("Northeast → West") == 3
    for mover in movers:
        assert mover.name in changes
    assert "Stayer" not in changes


def test_a_failure_judging_the_moves_leaves_nothing_of_the_import(
    published, org, monkeypatch, django_capture_on_commit_callbacks
):
    """The territory moves and the change counts commit with the merge: a failure after the moves were written
    takes the merge back with them, and the import says that nothing was imported."""
    from accounts.services import imports

    AccountFactory(name="Mover", domain="mover.com", state="NY")
    published["apply"](published["design"])
    published["publish"](published["design"])
    before = _snapshot()
    judge, judged = imports.import_territory_moves_record, []

    def judge_then_fail(*, account_import: AccountImport) -> None:
        judged.append(judge(account_import=account_import))
        raise RuntimeError("connection lost")

    monkeypatch.setattr(imports, "import_territory_moves_record", judge_then_fail)
    data = b"Company,Website,State\nMover,mover.com,CA\nNew Co,new.example.com,CA\n"
    account_import = account_import_create(file=ContentFile(data, name="m.csv"), name="m.csv", user=org["leader"])
    with django_capture_on_commit_callbacks(execute=True):
        job = account_import_start(
            account_import=account_import, mapping=account_import.mapping, mode="all", user=org["leader"]
        )

    job.refresh_from_db()
    assert job.status == "failed"
    assert judged == [1]  # the move was written, then the failure came
    assert _snapshot() == before
    assert not ImportChange.objects.filter(account_import=account_import).exists()
    assert not ImportLedger.objects.filter(account_import=account_import).exists()
    account_import.refresh_from_db()
    assert account_import.status == "failed"
    assert "connection lost" in account_import.message
    assert "Nothing was imported" in account_import.message


# --- Resolving possible duplicates ----------------------------------------------------------------


@pytest.fixture
def pair(run, org):
    existing = AccountFactory(
        name="Spire Corporation", domain="", city="Bedford", state="MA", employees=400, lifecycle="former"
    )
    account_import = run("Company,City,State,Employees,Revenue\nSpire,Boston,MA,35,\n")
    return PossibleDuplicate.objects.get(account_import=account_import), existing


def test_same_company_merges_the_new_record_with_the_rows_values(pair, org):
    duplicate, existing = pair
    new_id = duplicate.account_id
    version = accounts_data_version()

    possible_duplicate_resolve(duplicate=duplicate, same=True, user=org["leader"])

    assert not Account.objects.filter(pk=new_id).exists()
    existing.refresh_from_db()
    # The row's values as an update writes them: what the file had replaces, blank cells erase nothing.
    assert (existing.name, existing.city, existing.state, existing.employees) == ("Spire", "Boston", "MA", 35)
    assert existing.lifecycle == "former"  # the file had no lifecycle: the new record's default is not merged
    assert existing.annual_revenue == 50_000_000
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.resolved_by, duplicate.account) == ("same", org["leader"], None)
    change = ImportChange.objects.get(account_import=duplicate.account_import, account_id=existing.pk)
    assert change.action == "merged"
    assert ("city", "Bedford", "Boston") in change.changed_fields()
    assert accounts_data_version() > version


def test_two_companies_keeps_both(pair, org):
    duplicate, _existing = pair
    before = _snapshot()

    possible_duplicate_resolve(duplicate=duplicate, same=False, user=org["leader"])

    assert _snapshot() == before
    duplicate.refresh_from_db()
    assert duplicate.status == "different"


def test_a_pair_is_answered_once(pair, org):
    duplicate, _existing = pair
    possible_duplicate_resolve(duplicate=duplicate, same=False, user=org["leader"])
    with pytest.raises(ValidationError, match="answered this possible duplicate already"):
        possible_duplicate_resolve(duplicate=duplicate, same=True, user=org["leader"])
    assert Account.objects.count() == 2


def test_a_new_record_with_work_on_it_is_not_merged_away(pair, org):
    duplicate, _existing = pair
    AccountStrategy.objects.create(
        account=duplicate.account, strategy="acquire", chosen_by=org["rep_a1"], reason="new logo"
    )
    before = _snapshot()

    with pytest.raises(ValidationError, match="already has a strategy choice"):
        possible_duplicate_resolve(duplicate=duplicate, same=True, user=org["leader"])

    assert _snapshot() == before
    duplicate.refresh_from_db()
    assert duplicate.status == "open"


def test_a_failure_judging_the_moves_of_a_merge_leaves_the_pair_open(pair, org, monkeypatch):
    from accounts.services import import_review

    duplicate, _existing = pair
    before = _snapshot()

    def fail(**kwargs: object) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(import_review, "import_territory_moves_record", fail)
    with pytest.raises(RuntimeError):
        possible_duplicate_resolve(duplicate=duplicate, same=True, user=org["leader"])

    assert _snapshot() == before
    duplicate.refresh_from_db()
    assert duplicate.status == "open"
    assert not ImportChange.objects.filter(account_import=duplicate.account_import).exists()


def test_after_merges_the_report_counts_match_the_changes_they_left(run, published, org):
    """Each "same company" moves the report's counts by the records it rewrote; they must end where counting
    every change afresh ends: per field, in all, and the territory moves."""
    granite = AccountFactory(name="Granite Co", domain="granite.com", city="Buffalo", state="NY", employees=40)
    spire = AccountFactory(name="Spire Corporation", domain="", city="Bedford", state="MA")
    AccountFactory(name="Daughter Co", domain="daughter.com", city="Albany", state="NY", parent=spire)
    AccountFactory(name="Orion", domain="", city="Denver", state="CO", employees=9)
    published["apply"](published["design"])
    published["publish"](published["design"])
    account_import = run(
        "Company,Website,City,State,Employees,Parent domain\n"
        "Granite Co,granite.com,Albany,NY,45,\n"  # updated; stays in the Northeast
        "Granite Co,,San Jose,CA,,\n"  # may be Granite Co: merged, it moves it West
        "Spire,spire.io,Boston,MA,,\n"  # may be Spire Corporation
        "Daughter Co,daughter.com,,,,spire.io\n"  # its parent becomes the new Spire; merged, Spire Corporation again
        "Orion,,Boston,MA,7,\n"  # may be Orion (Denver)
    )
    assert account_import.ledger.change_counts["fields"] == {"website": 2, "city": 1, "employees": 1, "parent_id": 1}

    for duplicate in PossibleDuplicate.objects.filter(account_import=account_import).order_by("row"):
        possible_duplicate_resolve(duplicate=duplicate, same=True, user=org["leader"])

    changes = list(ImportChange.objects.filter(account_import=account_import))
    per_field: dict[str, int] = {}
    for change in changes:
        for column, _before, _after in change.changed_fields():
            per_field[column] = per_field.get(column, 0) + 1
    ledger = ImportLedger.objects.get(account_import=account_import)
    assert ledger.change_counts == {"total": len(changes), "fields": per_field}
    assert "parent_id" not in per_field  # Daughter Co's parent is Spire Corporation again, as before the import
    assert ledger.territory_moves == sum(c.territory_moves for c in changes) == 1
    assert {c.account_id for c in changes if c.territory_moves} == {granite.pk}


def test_the_counts_of_changed_fields_and_moves_match_a_computation_from_the_accounts(run, published):
    """A few hundred random updates: the report's counts per field and of territory moves, against the same
    figures computed here from the accounts before and after the import and the rules written out in Python."""
    import random

    rng = random.Random(12)
    states = ["NY", "CT", "CA", "TX"]
    accounts = [
        AccountFactory(name=f"Firm {i}", domain=f"firm{i}.com", state=rng.choice(states), employees=rng.randint(1, 500))
        for i in range(300)
    ]
    published["apply"](published["design"])
    published["publish"](published["design"])
    before = {a["id"]: a for a in Account.objects.values()}
    lines = ["Company,Website,State,Employees,City"]
    for account in accounts:
        state = rng.choice([account.state, rng.choice(states), ""])
        employees = rng.choice([account.employees, rng.randint(1, 500), ""])
        city = rng.choice(["", "Springfield", account.city])
        lines.append(f"{account.name},{account.domain},{state},{employees},{city}")
    account_import = run("\n".join(lines) + "\n")

    after = {a["id"]: a for a in Account.objects.values()}
    columns = ["website", "state", "employees", "city"]
    expected = {c: sum(before[i][c] != after[i][c] for i in before) for c in columns}
    territory = {"NY": "east", "CT": "east", "CA": "west"}

    def placed(state: str) -> object:
        return published[territory[state]].pk if state in territory else None

    expected_moves = sum(placed(before[i]["state"]) != placed(after[i]["state"]) for i in before)
    ledger = account_import.ledger
    assert ledger.change_counts["fields"] == {c: n for c, n in expected.items() if n}
    assert ledger.change_counts["total"] == account_import.updated == sum(before[i] != after[i] for i in before)
    assert ledger.territory_moves == expected_moves > 0
