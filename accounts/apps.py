from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.panels import PANELS
        from accounts.services.demo import accounts_seed_demo
        from salesplan.dashboard import home_panel_register
        from salesplan.services.demo import demo_seeder_register

        demo_seeder_register(name="accounts", seeder=accounts_seed_demo)
        for panel in PANELS:
            home_panel_register(panel)
