"""World Director: prompts to tested, playable 3D worlds, and shared branching video worlds."""

__version__ = "0.1.0"
