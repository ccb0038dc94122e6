"""Compatibility only: the names this module held, re-exported from where they now live.

New code imports from the module of what a thing is: the field types and the `Input` and
`Derived` bases (`domain.fields`), the vocabulary (`domain.vocabulary`), the intake
(`domain.intake`), the actions and their payloads (`domain.actions`), the case's state
(`domain.state`), notices (`domain.notice_models`), ledger records (`domain.ledger_records`)
and the workflow's replies (`domain.replies`). Kept while other branches still import it.
"""

from domain.actions import *  # noqa: F403
from domain.fields import *  # noqa: F403
from domain.fields import Input
from domain.intake import *  # noqa: F403
from domain.ledger_records import *  # noqa: F403
from domain.notice_models import *  # noqa: F403
from domain.replies import *  # noqa: F403
from domain.state import *  # noqa: F403
from domain.vocabulary import *  # noqa: F403

Model = Input  # the untrusted-input base's old name
