"""The one place MuJoCo is imported: headless (EGL) and without PyOpenGL's start-up chatter.

MuJoCo's Python package imports its renderer, and with ``MUJOCO_GL=egl`` that pulls in PyOpenGL,
which logs "No OpenGL_accelerate module loaded" at INFO: noise on a CLI's stderr, so quiet it.
"""

import logging
import os

os.environ.setdefault("MUJOCO_GL", "egl")
logging.getLogger("OpenGL").setLevel(logging.WARNING)

import mujoco

__all__ = ["mujoco"]
