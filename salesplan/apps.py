from __future__ import annotations

from django.apps import AppConfig


class SalesplanConfig(AppConfig):
    name = "salesplan"
    verbose_name = "Organisation and plans"

    def ready(self) -> None:
        from django.urls import reverse

        from salesplan import checks  # noqa: F401  (registers the system checks)
        from salesplan.dashboard import home_panel_register
        from salesplan.panels import PANELS
        from salesplan.services.freshness import REFRESH_KIND
        from salesplan.services.jobs import JobKind, job_kind_register
        from salesplan.tasks import demo_seed_task, refresh_task

        job_kind_register(
            JobKind(
                key="demo_seed",
                label="Load demo data",
                task=demo_seed_task,
                result_url=lambda job: reverse("account_list"),
                result_link_text="Open the accounts",
                # Each part is saved as it is built, and a second run completes the demo ("build or complete").
                on_interrupted=lambda job: "What it had loaded stays; run it again to complete the demo data.",
            )
        )
        job_kind_register(
            JobKind(
                key=REFRESH_KIND,
                label="Bring results up to date",
                task=refresh_task,
                result_url=lambda job: reverse("home"),
                result_link_text="Back to the home page",
                describe={"results_brought_up_to_date": "Results brought up to date", "what": "Which"},
            )
        )
        for panel in PANELS:
            home_panel_register(panel)
        from django.db.models.signals import post_delete, post_save

        post_save.connect(_design_changed, sender="salesplan.TerritoryDesign", dispatch_uid="design_saved")
        post_delete.connect(_design_changed, sender="salesplan.TerritoryDesign", dispatch_uid="design_deleted")
        for sender in ("salesplan.TerritoryRep", "salesplan.Team"):
            post_save.connect(_scope_changed, sender=sender, dispatch_uid=f"{sender}_saved")
            post_delete.connect(_scope_changed, sender=sender, dispatch_uid=f"{sender}_deleted")


def _design_changed(sender: object, **kwargs: object) -> None:
    from salesplan.selectors import territory_design_changed

    territory_design_changed()


def _scope_changed(sender: object, **kwargs: object) -> None:
    from salesplan.selectors import visible_scope_changed

    visible_scope_changed()
