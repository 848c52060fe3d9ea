from __future__ import annotations

from django.apps import AppConfig


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = "Segmentation"

    def ready(self) -> None:
        from django.urls import reverse

        from salesplan.dashboard import home_panel_register
        from salesplan.services.demo import demo_seeder_register
        from salesplan.services.jobs import JobKind, job_kind_register
        from segmentation.panels import PANELS
        from segmentation.services.demo import segmentation_seed_demo
        from segmentation.tasks import icp_score_task

        job_kind_register(
            JobKind(
                key="icp_score",
                label="Score accounts (ICP)",
                task=icp_score_task,
                result_url=lambda job: reverse("icp_matrix", args=[job.params["icp_id"]]),
                result_link_text="Open the ICP matrix",
            )
        )
        demo_seeder_register(name="segmentation", seeder=segmentation_seed_demo)
        for panel in PANELS:
            home_panel_register(panel)
