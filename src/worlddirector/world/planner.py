"""Story planning for one scene through the model layer, with the ancestors' facts carried forward.

The planner sees the base prompt, the world's guidance, every ancestor's prompt, the choice that
led to each, and the parent's running state summary, so a scene deep in the tree still knows what
the courier carries and what the Rift has done. Its output is validated by the model layer's
strict schema (:class:`worlddirector.llm.ScenePlan`: exactly three choices with short labels).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr


@dataclass
class AncestorInfo:
    path: str
    prompt: str
    choice_label: str | None
    state_summary: str | None


def plan_scene(
    *,
    llm_name: str,
    base_prompt: str,
    guidance: str | None,
    path: str,
    choice_label: str | None,
    ancestors: list[AncestorInfo],
    seconds: float,
    api_key: SecretStr | None = None,
    settings=None,
    summary_model: str | None = None,
):
    """Return a :class:`worlddirector.llm.ScenePlan` for the scene at ``path``.

    With a model backend and a ``STATE_SUMMARY_MODEL`` (the seed's separate summariser; blank
    disables it), the state summary is rewritten by ``summarize_state`` from the parent's summary and
    the new scene. The offline backend's plan already carries a summary consistent with its prompt,
    so it is used as is.
    """
    from worlddirector.llm import Ancestor, PlanContext, SummaryContext, get_llm

    key = api_key.get_secret_value() if api_key and api_key.get_secret_value() else None
    llm = get_llm(llm_name, api_key=key, settings=settings)
    parent_summary = (ancestors[-1].state_summary or "") if ancestors else ""
    ctx = PlanContext(
        base_prompt=base_prompt,
        guidance=guidance,
        path=path,
        choice=choice_label,
        state_summary=parent_summary,
        ancestors=[Ancestor(prompt=a.prompt, choice=a.choice_label, state_summary=a.state_summary or "") for a in ancestors],
        seconds=seconds,
    )
    plan = llm.plan_scene(ctx)
    if not llm.offline and (summary_model or "").strip():
        st = llm.summarize_state(SummaryContext(base_prompt=base_prompt, previous_summary=parent_summary,
                                                scene_prompt=plan.scene_prompt, choice=choice_label))
        text = st.summary + ("" if not st.facts else " Facts: " + "; ".join(st.facts))
        plan = plan.model_copy(update={"state_summary": text})
    return plan
