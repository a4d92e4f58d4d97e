"""Revision: turn a world's findings into a better prompt that still says what the user meant.

``revise(...)`` is the stage function (agent report + analysis -> :class:`Revision`);
``intent_similarity(a, b)`` measures how much of the user's intent a prompt keeps.
"""

from worlddirector.revision.intent import intent_similarity
from worlddirector.revision.reviser import compose_prompt, plan_revision, revise, revise_dir

__all__ = ["compose_prompt", "intent_similarity", "plan_revision", "revise", "revise_dir"]
