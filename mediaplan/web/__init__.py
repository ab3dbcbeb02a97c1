"""The web app (FastAPI + Jinja2): dashboard, items with evidence, calendar, iCal feed."""
