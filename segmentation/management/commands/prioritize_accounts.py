"""Rank the ICP-matching accounts of every territory, area and region of a plan from the shell."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from salesplan.models import StrategyPlan
from salesplan.services.freshness import derived_run
from segmentation.selectors import priority_inputs
from segmentation.services.refresh import rank_target


class Command(BaseCommand):
    help = "Rank the accounts of every territory, area and region of a plan (replaces the previous ranking)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--plan", type=int, required=True, help="The plan's id.")

    def handle(self, *args: object, plan: int, **options: object) -> None:
        strategy = StrategyPlan.objects.filter(pk=plan).first()
        if strategy is None:
            raise CommandError(f"No plan has id {plan}.")
        inputs = priority_inputs(strategy)
        if inputs is None:
            raise CommandError("This plan needs a territory design with placed accounts and a published, scored ICP.")
        run = derived_run(rank_target(strategy, inputs))
        self.stdout.write(self.style.SUCCESS(f"Ranked {run.ranked:,} accounts in {run.seconds:.1f} s."))
