from __future__ import annotations

import factory

from accounts.models import Account


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n:05d} Inc.")
    domain = factory.Sequence(lambda n: f"company{n:05d}.com")
    industry = "Software"
    annual_revenue = 50_000_000
    employees = 200
    country = "US"
    state = "NY"
    city = "New York"
    lifecycle = "prospect"
