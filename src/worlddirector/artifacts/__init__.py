"""Typed artifacts each stage reads and writes (pydantic models, JSON on disk)."""

from worlddirector.artifacts.base import Artifact
from worlddirector.artifacts.clip import Generation
from worlddirector.artifacts.ground_truth import GroundTruth

__all__ = ["Artifact", "Generation", "GroundTruth"]
