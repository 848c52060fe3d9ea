from __future__ import annotations

import datetime as dt

import factory

from salesplan.models import JobRun, StrategyPlan, Team, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = "rep"
    password = factory.django.Password("pw-for-tests-1")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    manager = factory.SubFactory(UserFactory, role="manager")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategyPlan

    name = factory.Sequence(lambda n: f"FY{2030 + n} plan")
    fiscal_year_start = dt.date(2027, 1, 1)
    fiscal_year_end = dt.date(2027, 12, 31)
    status = StrategyPlan.Status.PUBLISHED


class JobRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobRun

    kind = "demo_seed"
    dedupe_key = factory.Sequence(lambda n: f"test-{n}")
