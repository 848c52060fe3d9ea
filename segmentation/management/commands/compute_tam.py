"""Size the market (TAM / SAM / SOM) of a plan from the shell, kept as a run like one started in the app."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from salesplan.models import StrategyPlan
from segmentation.models import IdealCustomerProfile
from segmentation.services.tam import tam_model_default, tam_run


class Command(BaseCommand):
    help = "Compute TAM / SAM / SOM for a plan with its TAM model and its published, scored ICP."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--plan", type=int, required=True, help="The plan's id.")

    def handle(self, *args: object, plan: int, **options: object) -> None:
        strategy = StrategyPlan.objects.filter(pk=plan).first()
        if strategy is None:
            raise CommandError(f"No plan has id {plan}.")
        icp = (
            IdealCustomerProfile.objects.filter(plan=strategy, status="published")
            .exclude(scored_at=None)
            .order_by("-published_at")
            .first()
        )
        run = tam_run(model=tam_model_default(strategy), icp=icp, user=None)
        self.stdout.write(
            self.style.SUCCESS(
                f"TAM ${run.tam:,.0f} over {run.accounts:,} accounts ({run.accounts_unknown:,} without data) · "
                f"SAM ${run.sam:,.0f} ({run.sam_accounts:,} accounts) · SOM ${run.som:,.0f} · {run.seconds:.1f} s"
            )
        )
        if icp is None:
            self.stdout.write("No scored ICP is published for this plan, so the SAM is empty.")
