"""python manage.py demo_logins — print who can sign in to the demo, and the password."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from salesplan.services.demo import demo_logins


class Command(BaseCommand):
    help = "Print the demo logins (after seed_demo)."

    def handle(self, *args: object, **options: object) -> None:
        logins = demo_logins()
        if not logins:
            self.stdout.write("No demo users yet: run `python manage.py seed_demo`.")
            return
        self.stdout.write(f"  Demo logins (password: {settings.DEMO_PASSWORD}):")
        for login in logins:
            team = f" ({login['team']})" if login["team"] else ""
            self.stdout.write(f"    {login['username']:<10} {login['role']:<13} {login['name']}{team}")
