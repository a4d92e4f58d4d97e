"""The default world: a new user opens the app and finds a living story at once (seed's spirit)."""

from __future__ import annotations

DEFAULT_TITLE = "The Chronoglyph Courier"

DEFAULT_BASE_PROMPT = (
    "A lone courier in a scuffed crimson flight jacket sprints across the Nexus Gate, a vast circular "
    "stone plaza floating above the clouds at dusk, chasing a glowing chronoglyph shard that tumbles "
    "through the air ahead of her. Three towering portals blaze to life around the plaza: one opens on "
    "a neon-soaked coastal city at night with palm trees and pink sports cars, one on a rune-carved "
    "gothic battlefield under a blood moon, one on a clockwork fantasy city of brass towers and "
    "turning gears. The shard splits into three fragments, each streaking into a different portal, "
    "and the courier skids to a halt at the centre, chest heaving, as the Cataclysm Rift cracks open "
    "the sky behind her. Cinematic tracking shot, wide lens, high-energy action, steady lighting."
)

DEFAULT_GUIDANCE = (
    "Every scene is one 8-second action beat: setup, escalation, decisive outcome. The courier chases "
    "chronoglyph shards through remixed game-like worlds to seal the Cataclysm Rift. Keep her jacket, "
    "the shards' glow and the Rift consistent between scenes."
)
