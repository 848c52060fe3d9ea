from __future__ import annotations

from django.contrib import admin

from accounts.models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "industry", "state", "city", "annual_revenue", "lifecycle", "owner"]
    list_filter = ["lifecycle", "ownership", "country"]
    search_fields = ["name", "domain"]
    raw_id_fields = ["owner"]
    show_full_result_count = False
