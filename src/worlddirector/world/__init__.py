"""The shared branching world: many explorers, each branch generated exactly once.

Business rules live here (no HTTP): :class:`~worlddirector.world.service.WorldService` for worlds,
scenes, claims and metrics; :mod:`.states` for the states and their compare-and-set transitions;
:mod:`.render` for one scene job; :mod:`.runner` / :mod:`.celery_app` for where jobs run;
:mod:`.watchdog` for recovery. See ``docs/world.md``.
"""

from worlddirector.world.service import WorldService

__all__ = ["WorldService"]
