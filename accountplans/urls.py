"""Account planning's pages, under /accounts/ beside the accounts they are about (see salesplan/urls.py)."""

from __future__ import annotations

from django.urls import path

from accountplans import views, views_strategy

urlpatterns = [
    path("<int:pk>/strategy/", views_strategy.account_strategy_panel, name="account_strategy_panel"),
    path("<int:pk>/strategy/set/", views_strategy.account_strategy_set, name="account_strategy_set"),
    path("<int:pk>/qualification/", views_strategy.account_qualification_answer, name="account_qualification"),
    path("<int:account_pk>/plan/", views.account_plan_start, name="account_plan_start"),
    path("plans/", views.account_plan_list, name="account_plan_list"),
    path("plans/reviews/", views.account_plan_reviews, name="account_plan_reviews"),
    path("plans/<int:pk>/", views.account_plan_detail, name="account_plan_detail"),
    path("plans/<int:pk>/print/", views.account_plan_print, name="account_plan_print"),
    path("plans/<int:pk>/edit/<slug:section>/", views.account_plan_edit, name="account_plan_edit"),
    path("plans/<int:pk>/status/", views.account_plan_transition, name="account_plan_transition"),
    path("plans/<int:pk>/decision/", views.account_plan_decide, name="account_plan_decide"),
    path("plans/<int:pk>/comments/", views.account_plan_comment, name="account_plan_comment"),
    path("plans/<int:pk>/follow-ups/", views.account_plan_follow_up, name="account_plan_follow_up"),
    path("follow-ups/<int:pk>/done/", views.account_plan_follow_up_done, name="account_plan_follow_up_done"),
]
