"""Firmographic accounts: the companies of the market we sell into."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    CUSTOMER = "customer", "Customer"
    FORMER = "former", "Former customer"


class Ownership(models.TextChoices):
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private"
    UNKNOWN = "", "Unknown"


class Account(models.Model):
    """One company. Money is whole US dollars; unknown figures are NULL, never zero."""

    name = models.CharField(max_length=255, db_index=True)
    domain = models.CharField(max_length=255, blank=True, help_text="Lower case, no scheme, no www.")
    website = models.CharField(max_length=500, blank=True)
    industry = models.CharField(max_length=150, blank=True, db_index=True)
    annual_revenue = models.BigIntegerField(null=True, blank=True, help_text="USD per year.")
    employees = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, default="US", help_text="ISO 3166 alpha-2 code.")
    state = models.CharField(max_length=100, blank=True, db_index=True)
    city = models.CharField(max_length=120, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    ownership = models.CharField(max_length=10, choices=Ownership.choices, blank=True, default="")
    ticker = models.CharField(max_length=12, blank=True)
    founded_year = models.PositiveSmallIntegerField(null=True, blank=True)
    lifecycle = models.CharField(max_length=10, choices=Lifecycle.choices, default=Lifecycle.PROSPECT, db_index=True)
    current_sales = models.BigIntegerField(null=True, blank=True, help_text="Our sales to it per year, USD.")
    wallet = models.BigIntegerField(null=True, blank=True, help_text="Its estimated yearly spend in our category, USD.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_accounts"
    )
    source = models.CharField(max_length=100, blank=True, help_text="Where the record came from (which import).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["domain"], condition=~Q(domain=""), name="account_domain_unique"),
        ]
        indexes = [
            models.Index(fields=["owner", "name"], name="account_owner_name_idx"),
            models.Index(fields=["annual_revenue"], name="account_revenue_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("account_detail", args=[self.pk])

    @property
    def wallet_share_pct(self) -> float | None:
        """Our share of what it spends in our category; None when either figure is unknown."""
        if not self.wallet or self.current_sales is None:
            return None
        return self.current_sales * 100 / self.wallet
