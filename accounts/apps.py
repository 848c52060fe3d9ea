from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_save
        from django.urls import reverse

        from accounts.importing.sqlite import register_sqlite_functions
        from accounts.panels import PANELS
        from accounts.services.demo import accounts_seed_demo
        from accounts.services.imports import (
            account_import_interrupted,
            account_import_read_interrupted,
            account_import_start_again,
        )
        from accounts.tasks import (
            accounts_export_task,
            accounts_import_read_task,
            accounts_import_task,
            accounts_import_undo_task,
        )
        from salesplan.dashboard import home_panel_register
        from salesplan.services.demo import demo_seeder_register
        from salesplan.services.jobs import JobKind, job_kind_register

        _declare_account_dependents()
        connection_created.connect(register_sqlite_functions, dispatch_uid="accounts_sqlite_functions")
        post_save.connect(_accounts_changed, sender="accounts.Account", dispatch_uid="accounts_changed_save")
        post_delete.connect(_accounts_changed, sender="accounts.Account", dispatch_uid="accounts_changed_delete")
        demo_seeder_register(name="accounts", seeder=accounts_seed_demo)
        for panel in PANELS:
            home_panel_register(panel)
        job_kind_register(
            JobKind(
                key="accounts_import",
                label="Import accounts",
                task=accounts_import_task,
                result_url=lambda job: reverse("account_import_detail", args=[job.params["import_id"]]),
                result_link_text="Open the import report",
                on_interrupted=account_import_interrupted,
                start_again=account_import_start_again,
            )
        )
        job_kind_register(
            JobKind(
                key="accounts_import_read",
                label="Read a workbook",
                task=accounts_import_read_task,
                result_url=lambda job: reverse("account_import_detail", args=[job.params["import_id"]]),
                result_link_text="Map the columns",
                describe={"columns": "Columns", "sample_rows": "Rows shown in the preview"},
                on_interrupted=account_import_read_interrupted,
            )
        )
        job_kind_register(
            JobKind(
                key="accounts_import_undo",
                label="Undo an import",
                task=accounts_import_undo_task,
                result_url=lambda job: reverse("account_import_detail", args=[job.params["import_id"]]),
                result_link_text="Open the import",
                describe={
                    "accounts_deleted": "Created accounts deleted",
                    "accounts_restored": "Changed accounts restored",
                    "accounts_kept": "Accounts kept (touched since)",
                },
            )
        )
        job_kind_register(
            JobKind(
                key="accounts_export",
                label="Export accounts",
                task=accounts_export_task,
                result_url=lambda job: reverse("account_export_download", args=[job.pk]),
                result_link_text="Download the file",
                leader_only=False,
            )
        )


def _declare_account_dependents() -> None:
    from accounts.dependents import account_dependent_register

    account_dependent_register("accounts.accountterritory", derived=True, name="territory placements")
    account_dependent_register("accounts.accountstrategy", derived=False, name="a strategy choice")


def _accounts_changed(sender: object, **kwargs: object) -> None:
    from accounts.selectors import accounts_data_changed

    accounts_data_changed()
