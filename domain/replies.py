"""What the complaint workflow answers its callers besides its state."""

from __future__ import annotations

from domain.fields import Derived
from domain.state import ComplaintState


class Registration(Derived):
    """The answer to the intake's update-with-start: whether this request created the case."""

    created: bool
    state: ComplaintState


class ActionRefused(Derived):
    """The reason an action was refused, as the update caller and the timeline see it."""

    action: str
    reason: str
