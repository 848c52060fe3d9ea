from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from salesplan.forms import AdminLoginForm
from salesplan.models import JobRun, StrategyPlan, Team, User

# The admin's sign-in is throttled like the app's, and says so when it refuses.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "team", "is_active", "last_login"]
    list_filter = ["role", "team", "is_active", "is_staff"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Sales organisation", {"fields": ["role", "team", "title"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("Sales organisation", {"fields": ["first_name", "last_name", "role", "team", "title"]}),
    ]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager"]
    search_fields = ["name"]


@admin.register(StrategyPlan)
class StrategyPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "fiscal_year_start", "fiscal_year_end", "status", "revenue_target"]
    list_filter = ["status"]


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "status", "processed", "total", "started_by", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in JobRun._meta.fields]
