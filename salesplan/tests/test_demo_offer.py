"""Loading the demo is offered while it is not there, and never once it is (whether it came from a job, the
shell or `make run`)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesplan.models import User
from salesplan.services.demo import demo_is_loaded, demo_seed

pytestmark = pytest.mark.django_db

OFFER = "loading the demo data"


def test_a_leader_without_the_demo_is_offered_to_load_it(client, org):
    client.force_login(org["leader"])  # named "leader" too, but not the demo's leader
    assert not demo_is_loaded()
    assert OFFER in client.get(reverse("home")).content.decode()
    assert f'href="{reverse("demo_data_start")}"' in client.get(reverse("job_list")).content.decode()
    assert "already loaded" not in client.get(reverse("demo_data_start")).content.decode()


def test_once_the_demo_is_loaded_from_the_shell_the_home_page_does_not_offer_it_again(client):
    demo_seed(companies=1_000, seed=8)  # as `make run` does: no job recorded
    client.force_login(User.objects.get(username="leader"))

    assert demo_is_loaded()
    home = client.get(reverse("home")).content.decode()
    assert "No jobs yet" in home
    assert OFFER not in home
    assert "Load the demo market" not in home
    jobs = client.get(reverse("job_list")).content.decode()
    assert "bi-database-add" not in jobs  # the Jobs page links to the demo's form, not as a demo to load
    assert f'Start one with <a href="{reverse("demo_data_start")}">' not in jobs
    form = client.get(reverse("demo_data_start")).content.decode()
    assert "The demo is already loaded" in form
    assert "Run it again" in form


def test_other_roles_are_never_offered_the_demo(client, org):
    for role in ("manager_a", "rep_a1"):
        client.force_login(org[role])
        assert OFFER not in client.get(reverse("home")).content.decode()
