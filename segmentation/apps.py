from __future__ import annotations

from django.apps import AppConfig


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = "Segmentation"

    def ready(self) -> None:
        from django.urls import reverse

        from accounts.account_panels import AccountPanel, account_panel_register
        from salesplan.dashboard import home_panel_register
        from salesplan.services.demo import demo_seeder_register
        from salesplan.services.jobs import JobKind, job_kind_register
        from segmentation.panels import ACCOUNT_ICP_PANEL_TEMPLATE, PANELS, account_icp_panel_context
        from segmentation.services.demo import market_seed_demo, segmentation_seed_demo
        from segmentation.services.icp import icp_score_interrupted
        from segmentation.tasks import icp_score_task, prioritize_task, tam_run_task, territories_apply_task

        job_kind_register(
            JobKind(
                key="icp_score",
                label="Score accounts (ICP)",
                task=icp_score_task,
                result_url=lambda job: reverse("icp_matrix", args=[job.params["icp_id"]]),
                result_link_text="Open the ICP matrix",
                on_interrupted=icp_score_interrupted,
            )
        )
        job_kind_register(
            JobKind(
                key="territories_apply",
                label="Place accounts in territories",
                task=territories_apply_task,
                result_url=lambda job: reverse("territory_design_detail", args=[job.params["design_id"]]),
                result_link_text="Open the territory design",
            )
        )
        job_kind_register(
            JobKind(
                key="tam_run",
                label="Size the market (TAM / SAM / SOM)",
                task=tam_run_task,
                result_url=lambda job: reverse("tam_run_detail", args=[job.result["run_id"]]),
                result_link_text="Open the TAM report",
                describe={"accounts_in_the_sam": "Accounts in the SAM"},
            )
        )
        job_kind_register(
            JobKind(
                key="prioritize",
                label="Prioritize accounts",
                task=prioritize_task,
                result_url=lambda job: reverse("my_territory"),
                result_link_text="Open the prioritized lists",
            )
        )
        from django.db.models.signals import post_save

        from salesplan.services.freshness import derived_step_register
        from segmentation.services.refresh import STEPS

        for step in STEPS:
            derived_step_register(step)
        post_save.connect(_tam_model_saved, sender="segmentation.TamModel", dispatch_uid="tam_model_saved")
        post_save.connect(_plan_saved, sender="salesplan.StrategyPlan", dispatch_uid="plan_tam_model")
        _register_for_account_writes()
        demo_seeder_register(name="segmentation", seeder=segmentation_seed_demo)
        demo_seeder_register(name="market", seeder=market_seed_demo)
        for panel in PANELS:
            home_panel_register(panel)
        account_panel_register(
            AccountPanel(
                key="icp",
                template=ACCOUNT_ICP_PANEL_TEMPLATE,
                context=lambda request, account: account_icp_panel_context(
                    account=account, user=request.user, readonly=False
                ),
                order=20,
            )
        )


def _tam_model_saved(sender: object, instance: object, **kwargs: object) -> None:
    # A model's estimate of potential changes the ranking (by potential) and dates its TAM runs.
    from salesplan.services.freshness import inputs_changed
    from segmentation.services.refresh import tam_model_input

    inputs_changed(tam_model_input(instance.pk))


def _register_for_account_writes() -> None:
    """What an import report and an import's undo need of segmentation: where the published design puts
    accounts, and which of its rows about an account are derived (deleted with it) or people's work."""
    from accounts.dependents import account_dependent_register
    from accounts.placement import account_placement_register
    from segmentation.placement import published_placement

    account_placement_register(published_placement)
    account_dependent_register("segmentation.accountscore", derived=True, name="ICP scores")
    account_dependent_register("segmentation.accountpriority", derived=True, name="priority ranks")
    account_dependent_register("segmentation.accountanswer", derived=False, name="answers to ICP questions")
    account_dependent_register("segmentation.tierreview", derived=False, name="a manager's tier review")


def _plan_saved(sender: object, instance: object, created: bool = False, **kwargs: object) -> None:
    # Every plan estimates potential with a TAM model from the start, so no page has to create one.
    if created and not kwargs.get("raw"):
        from segmentation.services.tam import tam_model_default

        tam_model_default(instance)
