"""URL configuration: the core's pages here, each app's under its own prefix."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache

from salesplan import views


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and `make run`: answers once the app and its database respond."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Only answer when e-mail is set up (EMAIL_URL); otherwise a sales leader sets a new password.
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("password/reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("healthz", healthz, name="healthz"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/publish/", views.plan_publish, name="plan_publish"),
    path("people/", views.user_list, name="user_list"),
    path("people/new/", views.user_create, name="user_create"),
    path("people/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("people/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_form, name="team_create"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", views.team_form, name="team_edit"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/demo-data/", views.demo_data_start, name="demo_data_start"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/run-again/", views.job_run_again, name="job_run_again"),
    path("freshness/refresh/", views.refresh_start, name="refresh_start"),
    path("freshness/<str:key>/", views.freshness_fragment, name="freshness"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("accountplans.urls")),  # account plans live beside the accounts they are about
    path("segmentation/", include("segmentation.urls")),
    path("admin/", admin.site.urls),
]
