"""Derived results that know what they were computed from, and the chain that brings them up to date.

The chain's steps here are the test's own (the apps' real steps are tested in segmentation), so each test
sees exactly which results are recomputed, in which order, and how often.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesplan.models import DerivedResult, JobRun
from salesplan.services import freshness
from salesplan.services.freshness import (
    DerivedStep,
    DerivedTarget,
    derived_freshness,
    derived_out_of_date,
    derived_run,
    input_version,
    inputs_changed,
    refresh_request,
    refresh_run,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(monkeypatch):
    """Two steps: ``first:1`` reads the input ``raw``; ``second:1`` reads ``first:1``. ``calls`` records runs."""
    calls: list[str] = []
    hooks: dict[str, object] = {}

    def target(key: str, depends: tuple[str, ...]) -> DerivedTarget:
        def run(progress):
            calls.append(key)
            progress(50, "half way")
            if key in hooks:
                hooks[key]()
            return {"ran": key}

        return DerivedTarget(key=key, label=f"Computing {key}", depends=depends, run=run)

    def anyone(_user, _pk):
        return True

    steps = {
        "first": DerivedStep(
            name="first",
            label="First results",
            order=1,
            targets=lambda: [target("first:1", ("raw",))],
            visible_to=anyone,
        ),
        "second": DerivedStep(
            name="second",
            label="Second results",
            order=2,
            targets=lambda: [target("second:1", ("first:1",))],
            visible_to=anyone,
        ),
    }
    monkeypatch.setattr(freshness, "_STEPS", steps)
    return {"calls": calls, "hooks": hooks, "target": target}


def test_an_input_change_makes_what_reads_it_out_of_date_and_the_chain_recomputes_in_order(chain):
    assert [t.key for t in derived_out_of_date()] == ["first:1", "second:1"]  # never computed

    result = refresh_run()

    assert chain["calls"] == ["first:1", "second:1"]
    assert result["results_brought_up_to_date"] == 2
    assert derived_out_of_date() == []
    inputs_changed("raw")
    assert [t.key for t in derived_out_of_date()] == ["first:1"]  # second reads first, which is still current

    chain["calls"].clear()
    refresh_run()
    assert chain["calls"] == ["first:1", "second:1"]  # first moved, so second follows


def test_a_current_result_is_not_computed_again(chain):
    refresh_run()
    chain["calls"].clear()

    assert refresh_run() == {"results_brought_up_to_date": 0, "what": "nothing was out of date"}
    assert chain["calls"] == []


def test_a_change_during_a_step_leaves_it_out_of_date_and_the_chain_runs_it_again(chain):
    # The input changes while "first" computes: what it computed is already old, so it runs once more.
    chain["hooks"]["first:1"] = lambda: (inputs_changed("raw"), chain["hooks"].pop("first:1"))

    refresh_run()

    assert chain["calls"] == ["first:1", "second:1", "first:1", "second:1"]
    assert derived_out_of_date() == []


def test_derived_run_records_the_versions_read_before_the_work(chain):
    inputs_changed("raw")
    inputs_changed("raw")

    derived_run(chain["target"]("first:1", ("raw",)))

    record = DerivedResult.objects.get(key="first:1")
    assert record.inputs == {"raw": 2}
    assert record.label == "Computing first:1"
    assert input_version("first:1") == 1  # its own version moved, for what reads it


def test_one_chain_at_a_time_a_second_request_returns_the_queued_one(chain, org, settings):
    settings.JOBS_BACKEND = "celery"  # queued, never sent: no worker in this test
    from unittest import mock

    with mock.patch("salesplan.services.jobs._job_dispatch"):
        first = refresh_request(user=org["leader"])
        second = refresh_request()
    assert first is not None
    assert second == first
    assert JobRun.objects.filter(kind="refresh").count() == 1


def test_no_chain_starts_when_everything_is_current(chain):
    refresh_run()
    assert refresh_request() is None
    assert not JobRun.objects.filter(kind="refresh").exists()


def test_a_change_right_after_a_chain_ended_starts_the_next(chain, django_capture_on_commit_callbacks):
    # The task checks again once its job has ended (refresh_after): nothing is missed between the chain's
    # last look and its end.
    with django_capture_on_commit_callbacks(execute=True):
        job = refresh_request()
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert chain["calls"] == ["first:1", "second:1"]
    chain["calls"].clear()
    inputs_changed("raw")  # paused in tests: no request of its own

    with django_capture_on_commit_callbacks(execute=True):
        freshness.refresh_after(JobRun.objects.get(pk=job.pk))

    assert chain["calls"] == ["first:1", "second:1"]
    assert JobRun.objects.filter(kind="refresh", status="succeeded").count() == 2


def test_a_failing_step_fails_the_job_keeps_earlier_results_and_does_not_loop(
    chain, django_capture_on_commit_callbacks
):
    refresh_run()
    inputs_changed("raw")

    def broken():
        raise RuntimeError("disk full")

    chain["hooks"]["second:1"] = broken
    with django_capture_on_commit_callbacks(execute=True):
        job = refresh_request()

    job.refresh_from_db()
    assert job.status == "failed"
    assert "disk full" in job.error
    assert [t.key for t in derived_out_of_date()] == ["second:1"]  # first was brought up to date
    state = derived_freshness("second:1")
    assert state.state == "failed"
    assert state.failed == job
    assert JobRun.objects.filter(kind="refresh").count() == 1  # nothing restarted by itself


def test_freshness_says_updating_while_the_chain_is_queued(chain, settings):
    refresh_run()
    inputs_changed("raw")
    settings.JOBS_BACKEND = "celery"
    from unittest import mock

    with mock.patch("salesplan.services.jobs._job_dispatch"):
        job = refresh_request()

    state = derived_freshness("first:1")
    assert state.state == "updating"
    assert state.updating == job
    assert derived_freshness("nothing:1") is None


def test_the_as_of_fragment_polls_while_updating_and_stops_when_current(chain, client, org, settings):
    refresh_run()
    client.force_login(org["rep_a1"])
    current = client.get(reverse("freshness", args=["first:1"]))
    assert current.status_code == 286  # htmx stops polling
    assert "First results as of" in current.content.decode()

    inputs_changed("raw")
    settings.JOBS_BACKEND = "celery"
    from unittest import mock

    with mock.patch("salesplan.services.jobs._job_dispatch"):
        refresh_request()
    updating = client.get(reverse("freshness", args=["first:1"]), headers={"HX-Current-URL": "http://testserver/x/"})
    assert updating.status_code == 200
    body = updating.content.decode()
    assert "Being brought up to date" in body
    assert 'hx-trigger="every 2s"' in body
    assert client.get(reverse("freshness", args=["nothing:1"])).status_code == 404


def test_out_of_date_offers_the_leader_a_button_and_tells_others_who_can(chain, client, org):
    refresh_run()
    inputs_changed("raw")
    client.force_login(org["rep_a1"])
    body = client.get(reverse("freshness", args=["first:1"])).content.decode()
    assert "out of date" in body
    assert "Your sales leader can bring it up to date" in body
    assert client.post(reverse("refresh_start")).status_code == 403

    client.force_login(org["leader"])
    body = client.get(reverse("freshness", args=["first:1"])).content.decode()
    assert "Bring up to date" in body
    response = client.post(reverse("refresh_start"), {"next": "/segmentation/matrix/"})
    assert response.status_code == 302
    assert response["Location"] == "/segmentation/matrix/"
    assert JobRun.objects.filter(kind="refresh").exists()


def test_refresh_start_never_redirects_off_site(chain, client, org):
    client.force_login(org["leader"])
    response = client.post(reverse("refresh_start"), {"next": "https://evil.example.com/"})
    assert response.status_code == 302
    assert "evil" not in response["Location"]


def test_a_failing_result_does_not_stop_the_others_and_what_reads_it_waits(chain, monkeypatch):
    # A third result that reads nothing of the first: the chain computes it although the first fails.
    third = chain["target"]("third:1", ("raw",))
    steps = dict(freshness._STEPS)
    steps["third"] = DerivedStep(name="third", label="Third", order=3, targets=lambda: [third])
    monkeypatch.setattr(freshness, "_STEPS", steps)

    def broken():
        raise RuntimeError("no rules left")

    chain["hooks"]["first:1"] = broken
    from salesplan.services.jobs import JobError

    with pytest.raises(JobError, match="Computing first:1: no rules left"):
        refresh_run()
    assert chain["calls"] == ["first:1", "third:1"]  # second reads first: it waits; third goes on
    assert [t.key for t in derived_out_of_date()] == ["first:1", "second:1"]


def test_the_chain_waits_a_moment_so_a_burst_of_changes_shares_it(
    chain, settings, org, django_capture_on_commit_callbacks
):
    from unittest import mock

    settings.JOBS_BACKEND = "celery"
    settings.REFRESH_DELAY_SECONDS = 10
    with (
        mock.patch("salesplan.tasks.refresh_task.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = refresh_request()
        assert refresh_request() == first  # a second change while it waits: the same chain
    assert send.call_count == 1
    assert send.call_args.kwargs["countdown"] == 10
    JobRun.objects.all().delete()
    with (
        mock.patch("salesplan.tasks.refresh_task.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        refresh_request(user=org["leader"])  # the leader's button: at once
    assert send.call_args.kwargs["countdown"] is None
