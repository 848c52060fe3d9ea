"""Who sees what (DESIGN.md §2): one scoped query per object type, and a 404 for the rest."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesplan.selectors import jobs_visible_to, plans_visible_to, teams_visible_to, users_visible_to
from salesplan.tests.factories import JobRunFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


def _names(qs) -> set[str]:
    return {u.username for u in qs}


def test_leader_sees_everyone(org):
    assert _names(users_visible_to(org["leader"])) == {"leader", "manager_a", "manager_b", "rep_a1", "rep_a2", "rep_b1"}


def test_manager_sees_self_and_own_team_only(org):
    assert _names(users_visible_to(org["manager_a"])) == {"manager_a", "rep_a1", "rep_a2"}
    assert [t.name for t in teams_visible_to(org["manager_a"])] == ["Team A"]


def test_rep_sees_only_self_and_own_team(org):
    assert _names(users_visible_to(org["rep_a1"])) == {"rep_a1"}
    assert [t.name for t in teams_visible_to(org["rep_a1"])] == ["Team A"]


def test_rep_without_team_sees_no_team(db):
    assert not teams_visible_to(UserFactory(role="rep")).exists()


def test_superuser_sees_what_a_leader_sees(org):
    admin = UserFactory(role="rep", is_superuser=True, is_staff=True, username="root")
    assert users_visible_to(admin).count() == 7


def test_drafts_are_visible_to_leaders_only(org):
    draft = PlanFactory(status="draft")
    published = PlanFactory(status="published")
    assert set(plans_visible_to(org["leader"])) == {draft, published}
    assert set(plans_visible_to(org["rep_a1"])) == {published}
    assert set(plans_visible_to(org["manager_a"])) == {published}


def test_jobs_are_visible_to_their_starter_and_leaders(org):
    job = JobRunFactory(started_by=org["manager_a"])
    assert job in jobs_visible_to(org["manager_a"])
    assert job not in jobs_visible_to(org["manager_b"])
    assert job in jobs_visible_to(org["leader"])


@pytest.mark.parametrize(
    ("viewer", "url_name", "target", "expected"),
    [
        ("rep_a1", "team_detail", "team_b", 404),
        ("manager_a", "team_detail", "team_b", 404),
        ("manager_a", "team_detail", "team_a", 200),
        ("rep_a1", "team_detail", "team_a", 200),
        ("leader", "team_detail", "team_b", 200),
        ("manager_a", "user_edit", "rep_b1", 404),
        ("manager_a", "user_edit", "rep_a1", 403),  # visible, but only a leader edits people
        ("leader", "user_edit", "rep_b1", 200),
    ],
)
def test_object_pages_answer_404_outside_the_users_scope(client, org, viewer, url_name, target, expected):
    client.force_login(org[viewer])
    assert client.get(reverse(url_name, args=[org[target].pk])).status_code == expected


def test_rep_gets_404_for_a_draft_plan(client, org):
    draft = PlanFactory(status="draft")
    client.force_login(org["rep_a1"])
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(reverse("plan_edit", args=[draft.pk])).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    for url in [reverse("home"), reverse("account_list"), reverse("plan_list"), reverse("job_list")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_people_list_of_a_manager_holds_the_team_only(client, org):
    client.force_login(org["manager_a"])
    response = client.get(reverse("user_list"))
    assert _names(response.context["page"].object_list) == {"manager_a", "rep_a1", "rep_a2"}
    assert client.get(reverse("user_list"), {"export": "csv"}).status_code == 200
    assert b"rep_b1" not in b"".join(client.get(reverse("user_list"), {"export": "csv"}).streaming_content)


def test_rep_has_no_people_or_team_list(client, org):
    client.force_login(org["rep_a1"])
    assert client.get(reverse("user_list")).status_code == 403
    assert client.get(reverse("team_list")).status_code == 403


def test_people_list_filters_inactive_people(client, org):
    org["rep_a2"].is_active = False
    org["rep_a2"].save()
    client.force_login(org["leader"])
    assert _names(client.get(reverse("user_list"), {"is_active": "no"}).context["page"].object_list) == {"rep_a2"}
    assert "rep_a2" not in _names(client.get(reverse("user_list"), {"is_active": "yes"}).context["page"].object_list)
