"""The director: runs the loop generate -> analyze -> reconstruct -> simulate -> revise, and reports it.

``direct(prompt, out_dir, ...)`` is the entry point (see :mod:`worlddirector.director.loop`);
``write_report(run_dir)`` rebuilds ``report.html`` from what is on disk.
"""

from worlddirector.director.loop import RunFailed, direct
from worlddirector.director.report import write_report

__all__ = ["RunFailed", "direct", "write_report"]
