"""python manage.py seed_demo — build or complete the demo organisation (idempotent)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from salesplan.services.demo import demo_is_loaded, demo_seed


class Command(BaseCommand):
    help = "Create the demo organisation: a leader, 2 managers, 6 reps in 2 teams, a plan and demo companies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--companies", type=int, default=20_000, help="Number of demo companies (default 20,000).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed; the same seed gives the same companies.")
        parser.add_argument("--once", action="store_true", help="Do nothing if the demo organisation already exists.")

    def handle(self, *args: object, companies: int, seed: int, once: bool, **options: object) -> None:
        if once and demo_is_loaded():
            self.stdout.write("Demo data already there (--once): nothing to do.")
        else:
            started = time.monotonic()
            result = demo_seed(companies=companies, seed=seed)
            summary = ", ".join(f"{key.replace('_', ' ')}: {value:,}" for key, value in result.items())
            elapsed = time.monotonic() - started
            self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s ({summary})."))
