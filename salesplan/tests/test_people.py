"""People and teams: the org structure the leader manages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from salesplan.models import Team, User
from salesplan.services.people import team_save, user_create, user_update

pytestmark = pytest.mark.django_db


def test_user_create_hashes_password_and_puts_a_rep_on_a_team(org):
    user = user_create(
        username="newrep", password="Plenty-long-pass-9", role="rep", first_name="N", last_name="R", team=org["team_a"]
    )
    assert user.check_password("Plenty-long-pass-9")
    assert user.team == org["team_a"]


def test_user_create_rejects_a_weak_password(db):
    with pytest.raises(ValidationError, match="too short"):
        user_create(username="weak", password="abc", role="rep")
    assert not User.objects.filter(username="weak").exists()


def test_a_manager_is_never_a_team_member(org):
    user = user_create(username="mgr", password="Plenty-long-pass-9", role="manager", team=org["team_a"])
    assert user.team is None


def test_manager_who_leads_a_team_keeps_the_role(org):
    with pytest.raises(ValidationError, match="still leads a team"):
        user_update(user=org["manager_a"], role="rep")


def test_team_save_sets_exactly_the_given_reps(org):
    team_save(team=org["team_a"], name="Team A", manager=org["manager_a"], reps=[org["rep_a1"], org["rep_b1"]])
    assert set(User.objects.filter(team=org["team_a"])) == {org["rep_a1"], org["rep_b1"]}
    org["rep_a2"].refresh_from_db()
    assert org["rep_a2"].team is None


def test_team_manager_must_have_the_manager_role(org):
    with pytest.raises(ValidationError, match="manager role"):
        team_save(name="Team C", manager=org["rep_a1"])
    assert not Team.objects.filter(name="Team C").exists()


def test_leader_adds_a_rep_from_the_people_page(client, org):
    client.force_login(org["leader"])
    response = client.post(
        reverse("user_create"),
        {
            "username": "zoe",
            "first_name": "Zoe",
            "last_name": "Park",
            "email": "zoe@example.com",
            "title": "AE",
            "role": "rep",
            "team": org["team_b"].pk,
            "is_active": "on",
            "password": "Plenty-long-pass-9",
        },
    )
    assert response.status_code == 302
    zoe = User.objects.get(username="zoe")
    assert zoe.team == org["team_b"]
    assert zoe.check_password("Plenty-long-pass-9")


def test_people_form_explains_a_weak_password(client, org):
    client.force_login(org["leader"])
    response = client.post(
        reverse("user_create"),
        {
            "username": "zoe",
            "first_name": "Zoe",
            "last_name": "Park",
            "role": "rep",
            "password": "12345678",
        },
    )
    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()
    assert not User.objects.filter(username="zoe").exists()


def test_leader_cannot_deactivate_themselves(client, org):
    client.force_login(org["leader"])
    leader = org["leader"]
    response = client.post(
        reverse("user_edit", args=[leader.pk]),
        {
            "username": leader.username,
            "first_name": "L",
            "last_name": "L",
            "role": "leader",
        },
    )
    assert "You cannot deactivate yourself." in response.content.decode()
    leader.refresh_from_db()
    assert leader.is_active


def test_leader_moves_reps_between_teams_on_the_team_page(client, org):
    client.force_login(org["leader"])
    response = client.post(
        reverse("team_edit", args=[org["team_b"].pk]),
        {
            "name": "Team B",
            "manager": org["manager_b"].pk,
            "reps": [org["rep_b1"].pk, org["rep_a2"].pk],
        },
    )
    assert response.status_code == 302
    org["rep_a2"].refresh_from_db()
    assert org["rep_a2"].team == org["team_b"]


def test_manager_cannot_create_teams(client, org):
    client.force_login(org["manager_a"])
    assert client.get(reverse("team_create")).status_code == 403


def test_the_people_page_names_the_team_a_manager_manages(client, org):
    client.force_login(org["leader"])
    page = client.get(reverse("user_list")).content.decode()
    row = next(r for r in page.split("<tr") if f">{org['manager_a'].username}<" in r)
    team = org["manager_a"].managed_teams.get()
    assert "manages" in row
    assert f'href="{team.get_absolute_url()}">{team}</a>' in row
