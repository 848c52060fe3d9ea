"""Strategic account plans: writing, the review workflow and who may do each step, the findings a plan gives
its writer, optimistic locking, history, visibility and the pages."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accountplans.models import (
    AccountPlan,
    ContactRole,
    Influence,
    PlanAction,
    PlanContact,
    PlanEvent,
    PlanFollowUp,
    PlanObjective,
    PlanSection,
    PlanStatus,
    Sentiment,
)
from accountplans.services import plan_insights as insights
from accountplans.services.plans import (
    PlanConflict,
    plan_changes_since_review,
    plan_comment,
    plan_create,
    plan_decide,
    plan_follow_up_add,
    plan_follow_up_done,
    plan_section_save,
    plan_submit,
    plan_withdraw,
)
from accounts.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 22)


def _plan(owner, **account) -> AccountPlan:
    account = AccountFactory(owner=owner, lifecycle="customer", wallet=2_000_000, current_sales=400_000, **account)
    return plan_create(account=account, user=owner)


def _ready(plan: AccountPlan) -> AccountPlan:
    """Fill what a plan needs before it can be submitted."""
    plan_section_save(plan=plan, user=plan.owner, version=plan.version, section="needs", data={"needs": "Downtime"})
    PlanContact.objects.create(plan=plan, name="Robert Hale", role=ContactRole.ECONOMIC)
    objective = PlanObjective.objects.create(plan=plan, title="Service contract", target=300_000, due=TODAY)
    PlanAction.objects.create(plan=plan, objective=objective, description="Audit", due=TODAY, hours=Decimal(10))
    plan.refresh_from_db()
    return plan


# --- Workflow -----------------------------------------------------------------------------------------


def test_plan_goes_through_review_and_back_to_submitted_after_revision(org):
    rep, manager = org["rep_a1"], org["manager_a"]
    plan = _ready(_plan(rep))
    plan_submit(plan=plan, user=rep)
    assert plan.status == PlanStatus.SUBMITTED
    assert plan.submitted_at is not None

    plan_decide(plan=plan, user=manager, approve=False, comment="Map the CFO.", section="relationships")
    assert plan.status == PlanStatus.CHANGES
    assert plan.comments.get().section == "relationships"

    plan_section_save(plan=plan, user=rep, version=plan.version, section="swot", data={"strengths": "Service"})
    plan_submit(plan=plan, user=rep)
    assert plan_changes_since_review(plan) == {"swot": ["Strengths: — → Service"]}

    plan_decide(plan=plan, user=manager, approve=True)
    assert plan.status == PlanStatus.APPROVED
    assert plan.decided_by == manager
    actions = list(plan.events.order_by("at", "pk").values_list("action", flat=True))
    assert actions == ["created", "edited", "submitted", "changes", "commented", "edited", "submitted", "approved"]


def test_submitting_needs_needs_contacts_objectives_and_actions(org):
    plan = _plan(org["rep_a1"])
    with pytest.raises(ValidationError) as refused:
        plan_submit(plan=plan, user=org["rep_a1"])
    message = refused.value.messages[0]
    assert "needs" in message
    assert "contact" in message
    assert "objective" in message
    assert "action" in message
    assert AccountPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT


@pytest.mark.parametrize("who", ["rep_a2", "manager_b", "rep_a1"])
def test_only_the_owners_manager_or_the_leader_reviews(org, who):
    plan = _ready(_plan(org["rep_a1"]))
    plan_submit(plan=plan, user=org["rep_a1"])
    with pytest.raises(PermissionDenied):
        plan_decide(plan=plan, user=org[who], approve=True)
    plan_decide(plan=plan, user=org["leader"], approve=True)
    assert plan.status == PlanStatus.APPROVED


def test_the_owner_and_their_reviewers_edit_but_only_the_owner_submits(org):
    plan = _ready(_plan(org["rep_a1"]))
    for someone in (org["rep_a2"], org["manager_b"], org["rep_b1"]):
        with pytest.raises(PermissionDenied):
            plan_section_save(plan=plan, user=someone, version=plan.version, section="needs", data={"needs": "x"})
    for someone in (org["manager_a"], org["leader"]):
        plan_section_save(
            plan=plan, user=someone, version=plan.version, section="swot", data={"threats": someone.username}
        )
        plan.refresh_from_db()
        assert plan.updated_by == someone
    assert plan.threats == "leader"
    for someone in (org["manager_a"], org["rep_a2"], org["leader"]):
        with pytest.raises(PermissionDenied):
            plan_submit(plan=plan, user=someone)
    plan_submit(plan=plan, user=org["rep_a1"])
    with pytest.raises(PermissionDenied):  # under review it is read-only, for the reviewer too
        plan_section_save(plan=plan, user=org["manager_a"], version=plan.version, section="needs", data={"needs": "x"})


def test_requesting_changes_needs_a_comment_and_a_decided_plan_cannot_be_decided_again(org):
    rep, manager = org["rep_a1"], org["manager_a"]
    plan = _ready(_plan(rep))
    plan_submit(plan=plan, user=rep)
    with pytest.raises(ValidationError, match="needs a comment"):
        plan_decide(plan=plan, user=manager, approve=False, comment="  ")
    stale = AccountPlan.objects.get(pk=plan.pk)
    plan_decide(plan=plan, user=org["leader"], approve=True)
    with pytest.raises(PlanConflict, match="Approved"):
        plan_decide(plan=stale, user=manager, approve=False, comment="Too late")
    assert AccountPlan.objects.get(pk=plan.pk).status == PlanStatus.APPROVED


def test_a_submitted_plan_is_read_only_until_withdrawn_and_editing_an_approved_plan_starts_a_revision(org):
    rep = org["rep_a1"]
    plan = _ready(_plan(rep))
    plan_submit(plan=plan, user=rep)
    with pytest.raises(PermissionDenied):
        plan_section_save(plan=plan, user=rep, version=plan.version, section="needs", data={"needs": "x"})
    plan_withdraw(plan=plan, user=rep)
    assert plan.status == PlanStatus.DRAFT
    plan_submit(plan=plan, user=rep)
    plan_decide(plan=plan, user=org["manager_a"], approve=True)
    plan_section_save(plan=plan, user=rep, version=plan.version, section="needs", data={"needs": "More downtime"})
    assert plan.status == PlanStatus.DRAFT


def test_follow_ups_go_to_owner_or_manager_and_are_completed_by_them(org):
    rep, manager = org["rep_a1"], org["manager_a"]
    plan = _ready(_plan(rep))
    follow_up = plan_follow_up_add(plan=plan, user=manager, description="Pilot proposal", owner=rep, due=TODAY)
    with pytest.raises(ValidationError):
        plan_follow_up_add(plan=plan, user=manager, description="x", owner=org["rep_b1"], due=TODAY)
    with pytest.raises(PermissionDenied):
        plan_follow_up_add(plan=plan, user=rep, description="x", owner=rep, due=TODAY)
    with pytest.raises(PermissionDenied):
        plan_follow_up_done(follow_up=follow_up, user=org["rep_a2"])
    plan_follow_up_done(follow_up=follow_up, user=rep)
    assert PlanFollowUp.objects.get(pk=follow_up.pk).done_at is not None


# --- History and optimistic locking ------------------------------------------------------------------


def test_every_change_is_kept_with_who_and_what(org):
    rep = org["rep_a1"]
    plan = _plan(rep)
    plan_section_save(
        plan=plan, user=rep, version=plan.version, section="buying", data={"decision_date": dt.date(2027, 2, 1)}
    )
    contact = PlanContact.objects.create(plan=plan, name="Maria Santos", sentiment=Sentiment.NEUTRAL)

    class Rows:
        def save(self):
            PlanContact.objects.filter(pk=contact.pk).update(sentiment=Sentiment.ADVOCATE)

    plan_section_save(plan=plan, user=rep, version=plan.version, section="relationships", formsets=[Rows()])
    edits = list(plan.events.filter(action=PlanEvent.Action.EDITED).order_by("at", "pk"))
    assert [(e.actor, e.section) for e in edits] == [(rep, "buying"), (rep, "relationships")]
    assert edits[0].changes == ["Decision date: — → 2027-02-01"]
    assert edits[1].changes == ["Maria Santos: sentiment: neutral → advocate"]


def test_the_later_of_two_saves_from_the_same_version_is_refused_and_nothing_is_overwritten(org):
    rep = org["rep_a1"]
    plan = _plan(rep)
    opened = plan.version
    first, second = AccountPlan.objects.get(pk=plan.pk), AccountPlan.objects.get(pk=plan.pk)
    plan_section_save(plan=first, user=rep, version=opened, section="needs", data={"needs": "First"})
    with pytest.raises(PlanConflict, match=r"You edited Needs assessment at .*, in another tab or window"):
        plan_section_save(plan=second, user=rep, version=opened, section="needs", data={"needs": "Second"})
    assert AccountPlan.objects.get(pk=plan.pk).needs == "First"
    # Two people: the manager saves, then the rep saves from the version they opened before.
    opened = AccountPlan.objects.get(pk=plan.pk).version
    manager = org["manager_a"]
    plan_section_save(plan=first, user=manager, version=opened, section="needs", data={"needs": "The manager's"})
    with pytest.raises(PlanConflict, match=f"{manager} edited Needs assessment at .*, after you opened this page"):
        plan_section_save(plan=second, user=rep, version=opened, section="needs", data={"needs": "The rep's"})
    assert AccountPlan.objects.get(pk=plan.pk).needs == "The manager's"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_on_postgresql_one_wins_one_is_refused(org):
    """A claims the plan and holds its transaction open; B saves from the same version meanwhile. B's claim
    waits on A's row lock, re-reads the row when A commits, finds the version moved and is refused."""
    rep = org["rep_a1"]
    plan = _plan(rep)
    opened = plan.version
    a_claimed, release = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    class HoldOpen:
        def save(self):
            a_claimed.set()
            release.wait(timeout=10)

    def save(name: str, text: str, formsets: list) -> None:
        try:
            mine = AccountPlan.objects.get(pk=plan.pk)
            plan_section_save(
                plan=mine, user=rep, version=opened, section="needs", data={"needs": text}, formsets=formsets
            )
            outcome[name] = "saved"
        except PlanConflict:
            outcome[name] = "refused"
        finally:
            connection.close()

    first = threading.Thread(target=save, args=("A", "Words of A", [HoldOpen()]))
    first.start()
    assert a_claimed.wait(timeout=10)
    second = threading.Thread(target=save, args=("B", "Words of B", []))
    second.start()
    second.join(timeout=1)
    assert second.is_alive(), "B should be waiting on A's row lock"
    release.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert outcome == {"A": "saved", "B": "refused"}
    saved = AccountPlan.objects.get(pk=plan.pk)
    assert saved.needs == "Words of A"
    assert saved.version == opened + 1


# --- What a plan tells its writer --------------------------------------------------------------------


def _contact(pk, role="", influence=Influence.MEDIUM, days_ago=None, sentiment=0, reports_to=None, owner=None):
    contact = PlanContact(
        pk=pk,
        name=f"Person {pk}",
        role=role,
        influence=influence,
        sentiment=sentiment,
        last_contact=TODAY - dt.timedelta(days=days_ago) if days_ago is not None else None,
        reports_to_id=reports_to,
    )
    contact.relationship_owner_id = owner
    return contact


def test_one_engaged_contact_is_single_threaded_and_key_roles_are_named_when_missing():
    contacts = [_contact(1, ContactRole.CHAMPION, days_ago=10), _contact(2, ContactRole.ECONOMIC, days_ago=200)]
    texts = [f.text for f in insights.relationship_findings(contacts, TODAY)]
    assert any(t.startswith("Single-threaded: only Person 1 is engaged") for t in texts)
    assert any(t.startswith("No engaged decision maker") for t in texts)
    assert "Key roles missing: technical buyer." in texts


def test_two_engaged_contacts_with_an_engaged_economic_buyer_is_not_single_threaded():
    contacts = [
        _contact(1, ContactRole.ECONOMIC, days_ago=10),
        _contact(2, ContactRole.CHAMPION, days_ago=30),
        _contact(3, ContactRole.TECHNICAL, days_ago=60),
    ]
    assert insights.relationship_findings(contacts, TODAY) == []


def test_an_unowned_blocker_and_an_opposed_decision_maker_are_flagged():
    contacts = [
        _contact(1, ContactRole.ECONOMIC, days_ago=10, sentiment=Sentiment.OPPOSED),
        _contact(2, ContactRole.CHAMPION, days_ago=10),
        _contact(3, ContactRole.TECHNICAL, days_ago=10),
        _contact(4, ContactRole.BLOCKER, days_ago=10),
    ]
    texts = [f.text for f in insights.relationship_findings(contacts, TODAY)]
    assert texts == [
        "Person 1 decides and is opposed.",
        "Person 4 is a blocker and nobody on our side owns that relationship.",
    ]


def test_org_chart_nests_by_reports_to_and_survives_loops_and_unmapped_managers():
    contacts = [
        _contact(1),
        _contact(2, reports_to=1),
        _contact(3, reports_to=2),
        _contact(4, reports_to=99),
        _contact(5, reports_to=6),
        _contact(6, reports_to=5),
    ]
    roots = insights.org_chart(contacts, TODAY)
    assert [r.contact.pk for r in roots] == [1, 4, 5, 6]
    assert roots[0].children[0].contact.pk == 2
    assert roots[0].children[0].children[0].contact.pk == 3


def test_return_on_sales_time_is_the_expected_sales_per_planned_hour():
    objective = PlanObjective(pk=1, title="Service", target=240_000, due=TODAY)
    idle = PlanObjective(pk=2, title="New plants", target=60_000, due=TODAY)
    actions = [
        PlanAction(pk=1, objective_id=1, description="Audit", due=TODAY - dt.timedelta(days=1), hours=Decimal(10)),
        PlanAction(pk=2, objective_id=1, description="Case", due=TODAY, hours=Decimal(20), status="done"),
    ]
    summary = insights.growth_summary([objective, idle], actions, TODAY)
    assert summary.target == 300_000
    assert summary.hours == 30
    assert summary.rosti == 10_000
    assert summary.by_objective[0]["rosti"] == 8_000
    texts = [f.text for f in summary.findings]
    assert "“New plants” has no actions: how will it be won?" in texts
    assert "1 action overdue." in texts
    assert "2 actions have no owner." in texts


# --- Visibility and pages ----------------------------------------------------------------------------


def test_rep_sees_own_plans_manager_the_teams_leader_all_and_others_get_404(client, org):
    plan = _plan(org["rep_a1"])
    url = reverse("account_plan_detail", args=[plan.pk])
    for who, status in [
        ("rep_a1", 200),
        ("manager_a", 200),
        ("leader", 200),
        ("rep_a2", 404),
        ("rep_b1", 404),
        ("manager_b", 404),
    ]:
        client.force_login(org[who])
        assert client.get(url).status_code == status, who
        listed = client.get(reverse("account_plan_list")).content.decode()
        assert (plan.account.name in listed) == (status == 200), who
        assert client.get(reverse("account_plan_print", args=[plan.pk])).status_code == status, who


def test_the_manager_works_on_a_draft_with_the_rep_but_not_on_a_plan_under_review(client, org):
    rep, manager = org["rep_a1"], org["manager_a"]
    plan = _ready(_plan(rep))
    edit = reverse("account_plan_edit", args=[plan.pk, "swot"])
    client.force_login(manager)
    assert edit in client.get(plan.get_absolute_url()).content.decode()
    response = client.post(edit, {"version": plan.version, "strengths": "Their COO knows our CEO"})
    assert response.status_code == 302
    client.force_login(rep)
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Their COO knows our CEO" in page
    assert f"{manager}</span> edited SWOT" in page  # in the history
    plan_submit(plan=AccountPlan.objects.get(pk=plan.pk), user=rep)
    client.force_login(manager)
    assert edit not in client.get(plan.get_absolute_url()).content.decode()
    response = client.get(edit, follow=True)
    assert "read-only until it is decided" in response.content.decode()


def test_someone_who_cannot_see_a_plan_cannot_comment_or_record_follow_ups_on_it(client, org):
    plan = _plan(org["rep_a1"])
    client.force_login(org["manager_b"])
    assert client.post(reverse("account_plan_comment", args=[plan.pk]), {"body": "x"}).status_code == 404
    response = client.post(
        reverse("account_plan_follow_up", args=[plan.pk]), {"description": "x", "owner": org["rep_a1"].pk}
    )
    assert response.status_code == 404
    assert not plan.comments.exists()
    assert not plan.follow_ups.exists()


def test_editing_a_section_in_the_browser_saves_and_a_stale_save_keeps_the_users_input(client, org):
    rep = org["rep_a1"]
    plan = _plan(rep)
    client.force_login(rep)
    url = reverse("account_plan_edit", args=[plan.pk, "needs"])
    assert client.get(url).status_code == 200
    opened = plan.version
    response = client.post(url, {"version": opened, "needs": "Downtime on the lines", "business_goals": "Grow"})
    assert response.status_code == 302
    response = client.post(url, {"version": opened, "needs": "My stale words", "business_goals": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not saved" in page
    assert "My stale words" in page
    assert 'Now in the plan:</span> <span class="plan-text">Downtime on the lines' in page
    assert AccountPlan.objects.get(pk=plan.pk).needs == "Downtime on the lines"


def test_contacts_are_added_through_the_relationship_formset_and_the_chart_shows_them(client, org):
    rep = org["rep_a1"]
    plan = _plan(rep)
    client.force_login(rep)
    url = reverse("account_plan_edit", args=[plan.pk, "relationships"])
    data = {
        "version": plan.version,
        "contacts-TOTAL_FORMS": 2,
        "contacts-INITIAL_FORMS": 0,
        "contacts-0-name": "Robert Hale",
        "contacts-0-title": "COO",
        "contacts-0-role": "economic",
        "contacts-0-influence": "high",
        "contacts-0-sentiment": "1",
        "contacts-0-last_contact": (timezone.localdate() - dt.timedelta(days=5)).isoformat(),
        "contacts-1-influence": "medium",
        "contacts-1-sentiment": "0",
    }
    assert client.post(url, data).status_code == 302
    page = client.get(reverse("account_plan_detail", args=[plan.pk])).content.decode()
    assert "Robert Hale" in page
    assert "Economic buyer" in page
    assert "Single-threaded: only Robert Hale is engaged" in page
    assert plan.events.filter(action="edited", section="relationships").get().changes == ["Added contact Robert Hale"]


def test_manager_queue_lists_team_plans_oldest_first_with_changes_and_home_shows_overdue(client, org):
    rep, manager = org["rep_a1"], org["manager_a"]
    older, newer = _ready(_plan(rep)), _ready(_plan(org["rep_a2"]))
    plan_submit(plan=older, user=rep)
    plan_decide(plan=older, user=manager, approve=False, comment="Say more about the needs")
    plan_section_save(plan=older, user=rep, version=older.version, section="needs", data={"needs": "Much more"})
    plan_submit(plan=newer, user=org["rep_a2"])
    plan_submit(plan=older, user=rep)
    AccountPlan.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - dt.timedelta(days=3))
    late = timezone.localdate() - dt.timedelta(days=2)
    plan_follow_up_add(plan=older, user=manager, description="Send the pilot proposal", owner=rep, due=late)
    other = _ready(_plan(org["rep_b1"]))
    plan_submit(plan=other, user=org["rep_b1"])

    client.force_login(manager)
    page = client.get(reverse("account_plan_reviews")).content.decode()
    assert page.index(older.account.name) < page.index(newer.account.name)
    assert other.account.name not in page
    assert "Needs: Downtime → Much more" in page
    assert "First review" in page
    # What a reviewer weighs first: the return, the sales time it costs, and a plan hanging on one person.
    card = page[page.index(older.account.name) : page.index(newer.account.name)]
    assert "$300K" in card
    assert "10 h" in card
    assert "$30K/h" in card
    assert "1 overdue follow-up" in card
    assert "Single-threaded: nobody is engaged" in card
    home = client.get(reverse("home")).content.decode()
    assert "Send the pilot proposal" in home
    assert "2 days late" in home
    client.force_login(rep)
    assert "Send the pilot proposal" in client.get(reverse("home")).content.decode()
    client.force_login(org["rep_b1"])
    assert "Send the pilot proposal" not in client.get(reverse("home")).content.decode()


def test_comments_land_on_their_section_and_in_the_history(org):
    plan = _plan(org["rep_a1"])
    plan_comment(plan=plan, user=org["manager_a"], section=PlanSection.SWOT, body="Strengths are ours, not theirs")
    with pytest.raises(ValidationError):
        plan_comment(plan=plan, user=org["manager_a"], section=PlanSection.SWOT, body=" ")
    assert plan.comments.get().section == "swot"
    assert plan.events.filter(action="commented", section="swot").exists()


def test_demo_has_plans_in_every_state(db):
    from salesplan.services.demo import demo_seed

    demo_seed(companies=1500)
    states = set(AccountPlan.objects.values_list("status", flat=True))
    assert states == {s.value for s in PlanStatus}
    assert PlanFollowUp.objects.filter(done_at=None, due__lt=timezone.localdate()).exists()
    demo_seed(companies=1500)  # idempotent
    assert AccountPlan.objects.count() == 8


def test_plan_page_query_count_does_not_grow_with_its_rows(client, org, django_assert_max_num_queries):
    rep = org["rep_a1"]
    plan = _ready(_plan(rep))
    for n in range(15):
        PlanContact.objects.create(plan=plan, name=f"Contact {n}", relationship_owner=rep)
        PlanAction.objects.create(plan=plan, description=f"Action {n}", owner=rep, due=TODAY, hours=Decimal(1))
        plan_comment(plan=plan, user=org["manager_a"], section="needs", body=f"Comment {n}")
    client.force_login(org["manager_a"])
    # The ICP panel comes with the page (it was a second request): its queries on top of the plan's 20.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from segmentation.panels import account_icp_panel_context

    with CaptureQueriesContext(connection) as icp_panel:
        account_icp_panel_context(account=plan.account, user=org["manager_a"], readonly=True)
    with django_assert_max_num_queries(20 + 1 + len(icp_panel)):  # 1: may the user open the account
        response = client.get(reverse("account_plan_detail", args=[plan.pk]))
    assert response.content.decode().count("Contact 1") >= 1


def test_review_queue_query_count_does_not_grow_with_the_plans_in_it(client, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep, manager = org["rep_a1"], org["manager_a"]

    def add_reviewed_plan() -> None:
        plan = _ready(_plan(rep))
        plan_submit(plan=plan, user=rep)
        plan_decide(plan=plan, user=manager, approve=False, comment="More on needs")
        plan_section_save(plan=plan, user=rep, version=plan.version, section="needs", data={"needs": "More"})
        plan_submit(plan=plan, user=rep)

    client.force_login(manager)
    counts = []
    for plans in (1, 4):
        while AccountPlan.objects.count() < plans:
            add_reviewed_plan()
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("account_plan_reviews")).content.decode()
        assert page.count("Needs: Downtime → More") == plans
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_growth_targets_are_set_against_the_spend_left_to_win():
    objective = PlanObjective(pk=1, title="Service", target=600_000, due=TODAY)
    within = insights.growth_summary([objective], [], TODAY, wallet=2_000_000, current_sales=400_000)
    assert "take our share of its category spend from 20% to 50%" in within.findings[-1].text
    beyond = insights.growth_summary([objective], [], TODAY, wallet=800_000, current_sales=400_000)
    assert "more than the $400,000 of its category spend we do not win yet" in beyond.findings[-1].text


def test_plan_list_shows_expected_return_per_planned_hour_and_exports_it(client, org):
    plan = _ready(_plan(org["rep_a1"]))  # $300,000 over 10 hours
    client.force_login(org["manager_a"])
    page = client.get(reverse("account_plan_list"), {"sort": "-rosti"}).content.decode()
    assert "$30K/h" in page
    export = b"".join(client.get(reverse("account_plan_list"), {"export": "csv"}).streaming_content).decode()
    row = next(line for line in export.splitlines() if line.startswith(plan.account.name))
    status, expected, hours, rosti = row.split(",")[2:6]
    assert (status, int(expected), float(hours), float(rosti)) == ("Draft", 300_000, 10, 30_000)


def test_account_list_filters_by_current_strategy_and_plan_and_shows_both(client, org):
    from accountplans.services.strategy import strategy_set

    rep = org["rep_a1"]
    grown = AccountFactory(owner=rep, name="Grown Co", lifecycle="customer", wallet=1_000_000, current_sales=100_000)
    changed = AccountFactory(owner=rep, name="Changed Co", lifecycle="customer", wallet=1_000_000, current_sales=1)
    untouched = AccountFactory(owner=rep, name="Untouched Co")
    strategy_set(account=grown, strategy="grow", user=rep)
    strategy_set(account=changed, strategy="grow", user=rep)
    strategy_set(account=changed, strategy="retain", user=rep, reason="Budget frozen this year")
    plan = plan_create(account=grown, user=rep)
    client.force_login(rep)

    def names(**query):
        page = client.get(reverse("account_list"), query).content.decode()
        return {n for n in ("Grown Co", "Changed Co", "Untouched Co") if n in page}

    assert names(strategy="grow") == {"Grown Co"}
    assert names(strategy="retain") == {"Changed Co"}
    assert names(strategy="none") == {"Untouched Co"}
    assert names(plan="yes") == {"Grown Co"}
    assert names(plan="no") == {"Changed Co", "Untouched Co"}
    page = client.get(reverse("account_list"), {"q": "Grown"}).content.decode()
    assert reverse("account_plan_detail", args=[plan.pk]) in page
    assert "Grow · <a" in page
    assert untouched.pk


def test_account_list_query_count_does_not_grow_with_strategies_and_plans(client, org, django_assert_max_num_queries):
    from accountplans.services.strategy import strategy_set

    rep = org["rep_a1"]
    for n in range(30):
        account = AccountFactory(owner=rep, lifecycle="customer", wallet=1_000_000, current_sales=100_000)
        strategy_set(account=account, strategy="grow", user=rep)
        if n % 2:
            plan_create(account=account, user=rep)
    client.force_login(rep)
    with django_assert_max_num_queries(16):  # 30 rows: an N+1 would add 30 (one is the accounts' data version)
        page = client.get(reverse("account_list")).content.decode()
    assert page.count('bi-journal-text" aria-hidden="true"></i> plan') == 15
