from __future__ import annotations

from django.apps import AppConfig


class AccountPlansConfig(AppConfig):
    name = "accountplans"
    verbose_name = "Account plans"

    def ready(self) -> None:
        from accountplans.panels import PANELS
        from accountplans.selectors import account_plans_attach
        from accountplans.services.demo import accounts_seed_demo_plans
        from accountplans.views_strategy import STRATEGY_PANEL_TEMPLATE, account_strategy_panel_context
        from accounts.account_panels import AccountPanel, account_panel_register
        from accounts.dependents import account_dependent_register
        from accounts.selectors import account_list_attacher_register
        from salesplan.dashboard import home_panel_register
        from salesplan.services.demo import demo_seeder_register

        account_dependent_register(
            "accountplans.planqualification", derived=False, name="answers to the plan questions"
        )
        account_dependent_register("accountplans.accountplan", derived=False, name="an account plan")
        # The demo's plans and strategy choices are written on the accounts before segmentation scores and
        # ranks them, as when planning sat inside accounts.
        demo_seeder_register(name="account_plans", seeder=accounts_seed_demo_plans, before="segmentation")
        account_list_attacher_register(account_plans_attach)
        account_panel_register(
            AccountPanel(
                key="strategy",
                template=STRATEGY_PANEL_TEMPLATE,
                context=account_strategy_panel_context,
                order=10,
            )
        )
        for panel in PANELS:
            home_panel_register(panel)
