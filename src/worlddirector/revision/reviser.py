"""Revise a prompt from what the agents and the analysis found, keeping the user's intent.

The offline reviser (``llm="offline"``) is rules with reasons (:mod:`worlddirector.revision.rules`):

1. Findings are grouped by the property they are about (the rule *key*): every violation id and
   every weak metric lands in one group, so two kinds of evidence for one problem make one edit.
2. A group with no clause yet adds the rule's first wording; a group whose clause is already in the
   prompt (the problem persisted) escalates to the next wording; words in the user's prompt that
   invite the problem ("flickering") are removed.
3. Clauses from earlier iterations stay (they are why those problems went away).
4. The prompt is the user's prompt (minus removed words) followed by the clauses. It is kept
   bounded: at most ``MAX_CLAUSES`` clauses and ``max_words`` words, and its intent similarity to
   the original prompt must stay at or above ``intent_floor``; the lowest-priority clauses are
   dropped until both hold (each drop is recorded with its reason).

With another backend (``llm="openai"``), the rule edits are handed to the model layer's
``revise_prompt`` with the evidence, and the model may rephrase and merge them. Its answer is
checked against the same intent floor; an answer that drifts from the user's intent is not used,
and ``revision.json`` says so.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from worlddirector.artifacts.agent_report import AgentReport
from worlddirector.artifacts.analysis import Analysis
from worlddirector.artifacts.revision import Constraint, PromptChange, Revision
from worlddirector.errors import BadInputError
from worlddirector.revision.diff import word_diff
from worlddirector.revision.intent import intent_similarity
from worlddirector.revision.rules import INVITING_PHRASES, METRIC_RULES, VIOLATION_RULES, Rule

MAX_CLAUSES = 6
MIN_SEVERITY = 0.05
DEFAULT_INTENT_FLOOR = 0.76


@dataclass
class _Group:
    rule: Rule
    violation_ids: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    weight: float = 0.0


def _norm(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").replace(";", " ").split())


def _group_findings(report: AgentReport | None, metrics: dict[str, float | None]) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    if report is not None:
        for v in report.violations:
            rule = VIOLATION_RULES.get(v.type)
            if rule is None or v.severity < MIN_SEVERITY:
                continue
            g = groups.setdefault(rule.key, _Group(rule))
            g.violation_ids.append(v.id)
            if v.type not in g.types:
                g.types.append(v.type)
            g.weight += v.severity
    for name, (threshold, rule) in METRIC_RULES.items():
        value = metrics.get(name)
        if value is None or value >= threshold:
            continue
        g = groups.setdefault(rule.key, _Group(rule))
        g.metrics.append(name)
        g.weight += (threshold - value) / threshold
    return groups


def _reason(g: _Group, metrics: dict[str, float | None]) -> str:
    parts = []
    if g.violation_ids:
        n = len(g.violation_ids)
        kinds = "/".join(g.types)
        parts.append(f"{g.rule.reason} ({n} {kinds} violation{'s' if n != 1 else ''})")
    for m in g.metrics:
        parts.append(f"{m} was {metrics[m]:.2f} (below {METRIC_RULES[m][0]:.2f})")
    return "; ".join(parts) if parts else g.rule.reason


def _remove_phrases(text: str, phrases: list[str]) -> str:
    for ph in phrases:
        text = re.sub(rf"\b{re.escape(ph)}\b\s*", "", text, flags=re.IGNORECASE)
    return re.sub(r"\s{2,}", " ", text).strip()


def compose_prompt(base: str, constraints: list[Constraint]) -> str:
    """The user's prompt followed by the clauses, as one more sentence."""
    base = base.strip()
    if not constraints:
        return base
    clauses = "; ".join(c.phrase for c in constraints)
    sep = "" if base.endswith((".", "!", "?")) else "."
    return f"{base}{sep} {clauses[0].upper()}{clauses[1:]}."


def _words(text: str) -> int:
    return len(text.split())


def plan_revision(
    prompt: str,
    *,
    original_prompt: str,
    report: AgentReport | None,
    metrics: dict[str, float | None],
    previous: Revision | None = None,
    max_words: int = 140,
    intent_floor: float = DEFAULT_INTENT_FLOOR,
) -> tuple[str, list[Constraint], list[str], list[PromptChange], list[str]]:
    """The rule-based revision: (revised prompt, constraints, removed phrases, changes, notes).

    Clauses are fitted greedily in priority order: each wanted clause (strongest wording first, then
    the wording already in the prompt) is kept only if the prompt still has at most ``MAX_CLAUSES``
    clauses, at most ``max_words`` words and intent similarity at least ``intent_floor``.
    """
    prev_constraints = list(previous.constraints) if previous else []
    removed = list(previous.removed_phrases) if previous else []
    prev_by_key = {c.key: c for c in prev_constraints}
    rule_by_key = {r.key: r for r in VIOLATION_RULES.values()} | {r.key: r for _, r in METRIC_RULES.values()}
    changes: list[PromptChange] = []
    notes: list[str] = []
    orig_norm = _norm(original_prompt)

    # key -> (priority, wordings to try in order, evidence group or None, level of the current clause)
    wanted: dict[str, tuple[float, list[Constraint], _Group | None, int]] = {}
    for c in prev_constraints:
        # kept clauses are why earlier problems went away: they weigh as one finding of their kind
        pr = rule_by_key[c.key].priority if c.key in rule_by_key else 0.5
        wanted[c.key] = (pr, [c], None, c.level)

    groups = _group_findings(report, metrics)
    for key, g in groups.items():
        rule = g.rule
        reason = _reason(g, metrics)
        pr = rule.priority * (1.0 + g.weight) + (1.0 if g.violation_ids else 0.0)
        for word in INVITING_PHRASES.get(key, ()):
            if word not in removed and re.search(rf"\b{re.escape(word)}\b", original_prompt, re.IGNORECASE):
                removed.append(word)
                changes.append(
                    PromptChange(
                        action="remove",
                        key=key,
                        edit=word,
                        reason=f"invites the problem: {reason}",
                        violation_ids=g.violation_ids,
                        metrics=g.metrics,
                    )
                )
        existing = prev_by_key.get(key)
        user_level = max((i + 1 for i, ph in enumerate(rule.levels) if _norm(ph) in orig_norm), default=0)
        level = existing.level if existing else user_level
        if level >= len(rule.levels):
            notes.append(f"{key}: still found at the strongest wording ({reason}); left as is")
            wanted[key] = (pr, [existing] if existing else [], g, level)
            continue
        tries = [
            Constraint(key=key, phrase=rule.phrase(lv), level=lv)
            for lv in range(level + 1, 0, -1)
            if lv > level or existing is not None
        ]
        if existing is not None:
            tries[-1] = existing
        wanted[key] = (pr, tries, g, level)

    base = _remove_phrases(original_prompt, removed) or original_prompt
    order = [c.key for c in prev_constraints] + [k for k in wanted if k not in prev_by_key]
    chosen: dict[str, Constraint] = {}

    def fits(cands: dict[str, Constraint]) -> str | None:
        cons = [cands[k] for k in order if k in cands]
        text = compose_prompt(base, cons)
        if len(cons) > MAX_CLAUSES:
            return f"at most {MAX_CLAUSES} clauses keep the prompt focused"
        if _words(text) > max_words:
            return f"the prompt must stay within {max_words} words"
        if intent_similarity(original_prompt, text) < intent_floor:
            return f"intent similarity would fall below {intent_floor:.2f}; the user's intent comes first"
        return None

    for key, (pr, tries, g, level) in sorted(wanted.items(), key=lambda kv: -kv[1][0]):
        why = None
        for cand in tries:
            why = fits(chosen | {key: cand})
            if why is None:
                chosen[key] = cand
                break
        existing = prev_by_key.get(key)
        got = chosen.get(key)
        if g is not None:
            reason = _reason(g, metrics)
            if got is not None and existing is None and level == 0:
                changes.append(
                    PromptChange(
                        action="add",
                        key=key,
                        edit=got.phrase,
                        reason=reason,
                        violation_ids=g.violation_ids,
                        metrics=g.metrics,
                    )
                )
            elif got is not None and got.level > level:
                was = existing.phrase if existing else g.rule.phrase(level)
                changes.append(
                    PromptChange(
                        action="strengthen" if existing else "add",
                        key=key,
                        edit=got.phrase,
                        reason=f"still found after '{was}': {reason}",
                        violation_ids=g.violation_ids,
                        metrics=g.metrics,
                    )
                )
            elif got is None and tries:
                notes.append(f"{key}: '{tries[0].phrase}' not added ({why}); evidence: {reason}")
        if existing is not None and got is None:
            changes.append(
                PromptChange(action="drop", key=key, edit=existing.phrase, reason=why or "no room")
            )

    constraints = [chosen[k] for k in order if k in chosen]
    revised = compose_prompt(base, constraints)
    if not groups:
        notes.append("no violations or weak metrics: prompt unchanged")
    return revised, constraints, removed, changes, notes


def revise(
    prompt: str,
    *,
    original_prompt: str,
    report: AgentReport | None,
    analysis: Analysis | None,
    iteration: int = 1,
    previous: Revision | None = None,
    llm: str = "offline",
    api_key: str | None = None,
    max_words: int = 140,
    intent_floor: float = DEFAULT_INTENT_FLOOR,
) -> Revision:
    """Revise ``prompt`` (iteration ``iteration``'s) from its agent report and analysis."""
    if not original_prompt.strip() or not prompt.strip():
        raise BadInputError("cannot revise an empty prompt")
    t0 = time.perf_counter()
    metrics = dict(analysis.metrics) if analysis is not None else {}
    av = (analysis.metric_details or {}).get("av_sync") if analysis is not None else None
    if "av_sync" not in metrics and isinstance(av, (int, float)):
        metrics["av_sync"] = float(av)
    revised, constraints, removed, changes, notes = plan_revision(
        prompt,
        original_prompt=original_prompt,
        report=report,
        metrics=metrics,
        previous=previous,
        max_words=max_words,
        intent_floor=intent_floor,
    )
    reviser = "rules"
    if (llm or "offline").strip().lower() != "offline" and changes:
        revised, changes, reviser, notes = _llm_revise(
            llm,
            api_key,
            prompt,
            original_prompt,
            report,
            metrics,
            revised,
            changes,
            notes,
            max_words,
            intent_floor,
        )
    sim = intent_similarity(original_prompt, revised)
    return Revision(
        iteration=iteration,
        reviser=reviser,
        original_prompt=original_prompt,
        prompt=prompt,
        revised_prompt=revised,
        changes=changes,
        constraints=constraints,
        removed_phrases=removed,
        diff=word_diff(prompt, revised),
        intent_similarity=round(sim, 4),
        notes=notes,
        timings={"revise": round(time.perf_counter() - t0, 4)},
    )


def _llm_revise(
    llm,
    api_key,
    prompt,
    original_prompt,
    report,
    metrics,
    rules_prompt,
    changes,
    notes,
    max_words,
    intent_floor,
):
    from worlddirector.llm import Change, RevisionRequest, ViolationBrief, get_llm

    backend = get_llm(llm, api_key=api_key)
    briefs = [
        ViolationBrief(
            id=v.id, type=v.type, severity=v.severity, evidence=v.evidence[:300], object_id=v.object_id
        )
        for v in (report.violations if report else [])
    ][:40]
    req = RevisionRequest(
        original_prompt=original_prompt,
        prompt=prompt,
        edits=[
            Change(
                edit=c.edit if c.action != "remove" else f"remove '{c.edit}'",
                reason=c.reason,
                violation_ids=c.violation_ids,
            )
            for c in changes
        ],
        violations=briefs,
        metrics={k: v for k, v in metrics.items() if v is not None},
        max_words=max_words,
    )
    result = backend.revise_prompt(req)  # LLMError (a WDError) propagates: the stage fails with the reason
    sim = intent_similarity(original_prompt, result.revised_prompt)
    if sim < intent_floor:
        drift = (
            f"the {llm} reviser's prompt drifted from the user's intent (similarity {sim:.2f} < "
            f"{intent_floor:.2f}); the rule-based revision was used instead"
        )
        notes = [*notes, drift]
        return rules_prompt, changes, "rules", notes
    by_edit = {_norm(c.edit): c for c in changes}
    llm_changes = []
    for ch in result.changes:
        match = by_edit.get(_norm(ch.edit))
        llm_changes.append(
            PromptChange(
                action=match.action if match else "add",
                key=match.key if match else "llm",
                edit=ch.edit,
                reason=ch.reason,
                violation_ids=ch.violation_ids,
            )
        )
    return result.revised_prompt, llm_changes, f"llm:{llm}", notes


def revise_dir(
    iter_dir: Path,
    prompt: str,
    *,
    original_prompt: str,
    iteration: int,
    previous: Revision | None = None,
    llm: str = "offline",
    api_key: str | None = None,
) -> Revision:
    """Read ``agent_report.json`` / ``analysis.json`` from an iteration directory, write ``revision.json``."""
    iter_dir = Path(iter_dir)
    report = AgentReport.load(iter_dir) if (iter_dir / AgentReport.FILENAME).exists() else None
    analysis = Analysis.load(iter_dir) if (iter_dir / Analysis.FILENAME).exists() else None
    if report is None and analysis is None:
        raise BadInputError(f"{iter_dir}: no agent_report.json or analysis.json to revise from")
    rev = revise(
        prompt,
        original_prompt=original_prompt,
        report=report,
        analysis=analysis,
        iteration=iteration,
        previous=previous,
        llm=llm,
        api_key=api_key,
    )
    rev.save(iter_dir)
    return rev
