"""The HTTP API: `create_app` (app.py) over routers for complaints, actions, a case's timeline and
notices, health, reports and the codec server; `python -m api` serves it, `python -m api.keys`
manages its keys."""
