"""HTTP views of the core: home, plans, people and teams, background jobs, sign-in."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from salesplan.access import require_leader
from salesplan.dashboard import home_panels_for
from salesplan.exports import csv_response
from salesplan.filters import JobFilter, PlanFilter, UserFilter
from salesplan.forms import DemoDataForm, LoginForm, PlanForm, TeamForm, UserForm
from salesplan.listing import list_paginate, list_sort
from salesplan.models import JobRun
from salesplan.redirects import next_url_or, site_url_or
from salesplan.selectors import (
    jobs_visible_to,
    plan_current,
    plans_visible_to,
    teams_visible_to,
    users_visible_to,
)
from salesplan.services import people, plans
from salesplan.services.demo import demo_is_loaded, demo_logins
from salesplan.services.freshness import derived_freshness_for, refresh_request
from salesplan.services.jobs import job_interrupt_stale, job_kind_get, job_start, job_start_again
from salesplan.services.logins import login_locked_usernames, login_unlock


def _form_errors_from(form: object, exc: ValidationError) -> None:
    """Show a service's validation error on the form, by field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        # Demo logins are a convenience of a local trial, never shown in production.
        context["demo_logins"] = demo_logins() if settings.DEBUG else []
        context["demo_password"] = settings.DEMO_PASSWORD
        context["password_reset"] = settings.PASSWORD_RESET_BY_EMAIL
        return context


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes calls this when it refuses a sign-in for too many failures: the sign-in page as it was
    answered (its form already says why: LoginForm's "locked_out" error), as 429 Too Many Requests."""
    if original_response is None:
        return HttpResponse("Too many failed sign-ins: try again later.", status=429)
    original_response.status_code = 429
    return original_response


def _when_email_is_set_up(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Password reset by e-mail exists only when the operator configured e-mail (EMAIL_URL)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not settings.PASSWORD_RESET_BY_EMAIL:
            raise Http404("Password reset by e-mail is not set up here: your sales leader can set a new password.")
        return view(request, *args, **kwargs)

    return wrapped


password_reset = _when_email_is_set_up(auth_views.PasswordResetView.as_view())
password_reset_done = _when_email_is_set_up(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = _when_email_is_set_up(auth_views.PasswordResetConfirmView.as_view())
password_reset_complete = _when_email_is_set_up(auth_views.PasswordResetCompleteView.as_view())


def home(request: HttpRequest) -> HttpResponse:
    """One home for every role; the panels shown depend on the role (see salesplan.dashboard)."""
    user = request.user
    return render(request, "salesplan/home.html", {"plan": plan_current(user), "panels": home_panels_for(user)})


# --- Plans ----------------------------------------------------------------------------------------


def plan_list(request: HttpRequest) -> HttpResponse:
    filterset = PlanFilter(request.GET, queryset=plans_visible_to(request.user))
    qs, sorting = list_sort(
        request,
        filterset.qs,
        columns={"name": "name", "start": "fiscal_year_start", "target": "revenue_target", "status": "status"},
        default="-start",
    )
    if request.GET.get("export") == "csv":
        rows = (
            (
                p.name,
                p.fiscal_year_start,
                p.fiscal_year_end,
                p.get_status_display(),
                p.prior_year_revenue,
                p.revenue_target,
            )
            for p in qs
        )
        return csv_response(
            filename="plans.csv",
            header=["Name", "FY start", "FY end", "Status", "Prior-year revenue", "Revenue target"],
            rows=rows,
        )
    return render(
        request,
        "salesplan/plan_list.html",
        {"page": list_paginate(request, qs), "filter": filterset, "sorting": sorting},
    )


def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(plans_visible_to(request.user), pk=pk)
    return render(request, "salesplan/plan_detail.html", {"plan": plan})


def plan_create(request: HttpRequest) -> HttpResponse:
    require_leader(request)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plans.plan_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, f"Plan “{plan}” created as a draft. Publish it when the team should see it.")
            return redirect(plan)
    return render(request, "salesplan/plan_form.html", {"form": form})


def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(plans_visible_to(request.user), pk=pk)
    require_leader(request)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            plans.plan_update(plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, "Plan saved.")
            return redirect(plan)
    return render(request, "salesplan/plan_form.html", {"form": form, "plan": plan})


@require_POST
def plan_publish(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(plans_visible_to(request.user), pk=pk)
    require_leader(request)
    if request.POST.get("action") == "unpublish":
        plans.plan_unpublish(plan=plan)
        messages.info(request, "The plan is a draft again; only sales leaders see it.")
    else:
        try:
            plans.plan_publish(plan=plan)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Plan published: managers and reps now work to it.")
    return redirect(plan)


# --- People and teams -----------------------------------------------------------------------------

_USER_COLUMNS = {
    "name": "last_name",
    "username": "username",
    "role": "role",
    "team": "team__name",
    "last_login": "last_login",
}


def user_list(request: HttpRequest) -> HttpResponse:
    if request.user.is_rep:
        raise PermissionDenied("Reps have no people list.")
    filterset = UserFilter(request.GET, queryset=users_visible_to(request.user), teams=teams_visible_to(request.user))
    qs, sorting = list_sort(request, filterset.qs, columns=_USER_COLUMNS, default="name")
    if request.GET.get("export") == "csv":
        rows = (
            (
                u.username,
                u.first_name,
                u.last_name,
                u.email,
                u.title,
                u.get_role_display(),
                u.team.name if u.team else "",
                "yes" if u.is_active else "no",
                u.last_login,
            )
            for u in qs
        )
        return csv_response(
            filename="people.csv",
            header=["Username", "First name", "Last name", "Email", "Title", "Role", "Team", "Active", "Last sign-in"],
            rows=rows,
        )
    page = list_paginate(request, qs.prefetch_related("managed_teams"))
    locked = login_locked_usernames(usernames=[p.username for p in page]) if request.user.is_leader else set()
    return render(
        request,
        "salesplan/user_list.html",
        {"page": page, "filter": filterset, "sorting": sorting, "locked_out": locked},
    )


@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """A sales leader lifts a person's sign-in lock-out (too many failed sign-ins): they can sign in at once."""
    person = get_object_or_404(users_visible_to(request.user), pk=pk)
    require_leader(request, "unlock a sign-in")
    login_unlock(user=person, by=request.user)
    messages.success(request, f"{person} can sign in again: their failed sign-ins are forgotten.")
    return redirect(next_url_or(request, reverse("user_list")))


def user_create(request: HttpRequest) -> HttpResponse:
    require_leader(request)
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("is_active", None)
        try:
            user = people.user_create(**data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, f"{user} can now sign in as “{user.username}”.")
            return redirect("user_list")
    return render(request, "salesplan/user_form.html", {"form": form})


def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(users_visible_to(request.user), pk=pk)
    require_leader(request)
    form = UserForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        password = data.pop("password", "")
        if person == request.user and not data.get("is_active", True):
            form.add_error("is_active", "You cannot deactivate yourself.")
        else:
            try:
                people.user_update(user=person, **data)
                if password:
                    person.set_password(password)
                    person.save(update_fields=["password"])
            except ValidationError as exc:
                _form_errors_from(form, exc)
            else:
                messages.success(request, f"Saved {person}.")
                return redirect("user_list")
    return render(request, "salesplan/user_form.html", {"form": form, "person": person})


def team_list(request: HttpRequest) -> HttpResponse:
    if request.user.is_rep:
        raise PermissionDenied("Reps have no team list.")
    qs, sorting = list_sort(
        request,
        teams_visible_to(request.user),
        columns={"name": "name", "manager": "manager__last_name", "reps": "rep_count"},
        default="name",
    )
    if request.GET.get("export") == "csv":
        rows = ((t.name, str(t.manager), t.rep_count) for t in qs)
        return csv_response(filename="teams.csv", header=["Team", "Manager", "Reps"], rows=rows)
    return render(request, "salesplan/team_list.html", {"page": list_paginate(request, qs), "sorting": sorting})


def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(teams_visible_to(request.user), pk=pk)
    members = users_visible_to(request.user).filter(team=team).order_by("last_name", "first_name")
    return render(request, "salesplan/team_detail.html", {"team": team, "members": members})


def team_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_leader(request)
    team = get_object_or_404(teams_visible_to(request.user), pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        try:
            saved = people.team_save(
                team=team,
                name=form.cleaned_data["name"],
                manager=form.cleaned_data["manager"],
                reps=list(form.cleaned_data["reps"]),
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, f"Team {saved} saved.")
            return redirect(saved)
    return render(request, "salesplan/team_form.html", {"form": form, "team": team})


# --- Jobs -----------------------------------------------------------------------------------------


def job_list(request: HttpRequest) -> HttpResponse:
    filterset = JobFilter(request.GET, queryset=jobs_visible_to(request.user))
    qs, sorting = list_sort(
        request, filterset.qs, columns={"created": "created_at", "kind": "kind", "status": "status"}, default="-created"
    )
    if request.GET.get("export") == "csv":
        rows = (
            (
                j.pk,
                j.label,
                j.get_status_display(),
                str(j.started_by or ""),
                j.created_at,
                j.finished_at,
                j.processed,
                j.total,
                j.message,
                j.error,
            )
            for j in qs
        )
        header = [
            "Job id",
            "Job",
            "Status",
            "Started by",
            "Created",
            "Finished",
            "Processed",
            "Total",
            "Message",
            "Error",
        ]
        return csv_response(filename="jobs.csv", header=header, rows=rows)
    counts = jobs_visible_to(request.user).aggregate(
        active=Count("pk", filter=Q(status__in=["queued", "running"])),
        failed=Count("pk", filter=Q(status="failed")),
        interrupted=Count("pk", filter=Q(status="interrupted")),
    )
    return render(
        request,
        "salesplan/job_list.html",
        {
            "page": list_paginate(request, qs),
            "filter": filterset,
            "sorting": sorting,
            "counts": counts,
            "can_start_demo": request.user.is_leader,
            "demo_loaded": request.user.is_leader and demo_is_loaded(),
        },
    )


def _job_context(job: JobRun) -> dict[str, object]:
    try:
        spec = job_kind_get(job.kind)
    except LookupError:
        spec = None
    result_url = spec.result_url(job) if spec and spec.result_url and not job.is_active else ""
    # Figures are shown; ids are where the result link points, not something to read.
    labels = spec.describe if spec else {}
    result_items = [
        (labels.get(key, key.replace("_", " ").capitalize()), value)
        for key, value in (job.result or {}).items()
        if not key.endswith("_id")
    ]
    return {
        "job": job,
        "result_url": result_url,
        "result_link_text": spec.result_link_text if spec else "",
        "result_items": result_items,
    }


def _job_for(request: HttpRequest, pk: int) -> JobRun:
    """The job, visible to the user; one whose worker died is shown interrupted (the watchdog runs here too:
    with in-process jobs nothing else does, and with workers the page need not wait for one)."""
    job = get_object_or_404(jobs_visible_to(request.user), pk=pk)
    if job.is_active and job_interrupt_stale(job_id=job.pk):
        job.refresh_from_db()
    return job


def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "salesplan/job_detail.html", _job_context(_job_for(request, pk)))


def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx-polled progress fragment; status 286 tells htmx to stop polling once the job ended."""
    job = _job_for(request, pk)
    response = render(request, "salesplan/partials/job_progress.html", _job_context(job))
    if not job.is_active:
        response.status_code = 286
    return response


@require_POST
def job_run_again(request: HttpRequest, pk: int) -> HttpResponse:
    """The "Run again" button of an interrupted job: the same job, started anew, and its page."""
    job = get_object_or_404(jobs_visible_to(request.user), pk=pk, status=JobRun.Status.INTERRUPTED)
    try:
        spec = job_kind_get(job.kind)
    except LookupError:
        raise Http404("This kind of job no longer exists.") from None
    if spec.leader_only:
        require_leader(request, f"run “{spec.label}” again")
    again = job_start_again(job=job, user=request.user)
    messages.success(request, f"{spec.label} started again.")
    return redirect(again)


def demo_data_start(request: HttpRequest) -> HttpResponse:
    require_leader(request)
    form = DemoDataForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job, created = job_start(kind="demo_seed", started_by=request.user, params=form.cleaned_data)
        if not created:
            messages.info(request, "Demo data is already being loaded; here is that job.")
        return redirect(job)
    return render(request, "salesplan/demo_data_form.html", {"form": form, "loaded": demo_is_loaded()})


# --- Freshness of derived results ---------------------------------------------------------------------------


def freshness_fragment(request: HttpRequest, key: str) -> HttpResponse:
    """The "as of …" line of a derived result, polled by htmx while it is brought up to date; 286 stops the
    polling once it is current (or the update failed)."""
    state = derived_freshness_for(request.user, key)
    if state is None:
        raise Http404("No such result.")
    page_url = site_url_or(request, request.headers.get("HX-Current-URL", ""), "")
    response = render(
        request,
        "partials/freshness.html",
        {"freshness": state, "just_updated": state.state == "current", "page_url": page_url},
    )
    if state.state != "updating":
        response.status_code = 286
    return response


@require_POST
def refresh_start(request: HttpRequest) -> HttpResponse:
    """The leader's "Bring up to date": start the chain for whatever is out of date."""
    require_leader(request, "bring results up to date")
    job = refresh_request(user=request.user)
    if job is None:
        messages.info(request, "Everything is up to date.")
    else:
        messages.success(request, "Bringing scores, territories and rankings up to date; the page says when done.")
    fallback = job.get_absolute_url() if job else reverse("home")
    return redirect(next_url_or(request, fallback))
