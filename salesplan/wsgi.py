from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesplan.settings")
application = get_wsgi_application()

from salesplan.checks import refuse_unsafe_production  # noqa: E402  (needs the app registry)

refuse_unsafe_production()
