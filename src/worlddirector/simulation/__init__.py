"""Agent physics testing: MuJoCo worlds built from ``world.json``, agents walking planned paths,
and checks that report what is physically wrong with the world (see ``docs/simulation.md``)."""

from worlddirector.simulation.simulate import simulate

__all__ = ["simulate"]
