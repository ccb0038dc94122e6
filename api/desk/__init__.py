"""The complaint desk: server-rendered pages for the people who handle complaints, in the API
process, behind the API's own identity (docs/desk.md).

- `/desk/queue/mine`, `/desk/queue/team`: open cases by next deadline, with filters and bulk
  reassignment (`queue.py`, from `ledger/queue.py`);
- `/desk/dashboard`: per branch and stage (`dashboard.py`);
- `/desk/cases/{id}` and its action forms (`case.py`, `forms.py`; what is offered:
  `available.py`), `/desk/report`: the monthly report's page;
- `/desk/file`: the intake form, filing as `POST /v1/complaints` does (`intake.py`);
- `/desk/views/{view}`: ready-made Temporal Web UI views, dates computed when opened
  (`views.py`);
- `/desk/login`, `/desk/logout` (`signin.py`; sessions and CSRF: `session.py`).
"""

from fastapi import APIRouter

from api.desk import case, dashboard, intake, queue, signin, views

router = APIRouter()
for part in (
    signin.router,
    queue.router,
    dashboard.router,
    case.router,
    intake.router,
    views.router,
):
    router.include_router(part)

__all__ = ["router"]
