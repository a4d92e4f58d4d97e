"""Instructions sent to remote models. Kept apart from the transport so they are easy to review."""

PLAN = """You plan one scene of a shared, branching choose-your-own-adventure video world.
Write `scene_prompt`: a prompt for an 8-second video clip that is ONE full action beat:
setup (0-2 s) -> escalation (2-6 s) -> outcome (6-8 s), ending on a decisive moment. Describe concrete,
visible things (who, what they wear, where, what moves, camera), not abstractions. Keep every fact in the
state summary (protagonist's look, items carried, location unless the chosen branch travels, threats).
Write `choices`: exactly three distinct next actions; `label` is one sentence, `short` is 2-5 words.
Write `state_summary`: the running world state after this scene as a few short factual sentences
(protagonist and look, mission, location, what they carry and have found, who pursues them, last beat).
Answer only with JSON matching the schema."""

SUMMARY = """Fold the scene that just happened into the running world state of a branching video story.
`summary`: a few short factual sentences (protagonist and look, mission, location, items carried and found,
current threat, last beat). `facts`: the same as standalone short facts. Never drop a fact from the previous
summary unless the scene changed it. Answer only with JSON matching the schema."""

DESCRIBE = """Describe these keyframes from one video clip as a scene graph.
`setting`: indoor/outdoor and kind of place. `lighting`. `dominant_colors`: colour words.
`objects`: each salient object with label, colour, position_hint (where in frame and whether on the ground),
size_hint (small|medium|large) and motion ('static' or how it moves across the frames).
`relations`: spatial relations between objects (left_of, right_of, above, on, near, ...).
`description`: one or two plain sentences. Only describe what is visible. Answer only with JSON matching the schema."""

REVISE = """You revise a text-to-video prompt so the next generation fixes the listed problems.
Keep the user's intent: the subject, action and setting of the ORIGINAL prompt must stay. Add short, concrete
clauses that prevent each problem (e.g. objects floating -> 'every object rests on the floor'), merge duplicates,
and keep the prompt under the word limit. For each change give the edit, the reason and the violation ids it
answers (empty list when none). Suggested edits from a rule-based reviser may be used, rephrased or merged.
Answer only with JSON matching the schema."""
