from __future__ import annotations

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("<int:pk>/", views.account_detail, name="account_detail"),
]
