"""Score every account against an Ideal Customer Profile from the shell."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from salesplan.services.freshness import derived_run
from segmentation.models import IdealCustomerProfile
from segmentation.services.refresh import score_target, summary_target


class Command(BaseCommand):
    help = "Score every account against an Ideal Customer Profile (replaces that profile's previous scores)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--icp", type=int, required=True, help="The profile's id (shown on its page).")

    def handle(self, *args: object, icp: int, **options: object) -> None:
        profile = IdealCustomerProfile.objects.filter(pk=icp).first()
        if profile is None:
            raise CommandError(f"No Ideal Customer Profile has id {icp}.")
        count = derived_run(score_target(profile), progress=lambda _p, message: self.stdout.write(message))
        tiers = derived_run(summary_target(profile))["counts"]
        self.stdout.write(
            self.style.SUCCESS(f"Scored {count:,} accounts against {profile}: ")
            + " · ".join(f"{t} {n:,}" for t, n in tiers.items() if t)
        )
