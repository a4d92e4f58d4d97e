"""The one registry of video providers that the CLI, server and settings all read."""

from __future__ import annotations

import importlib

from worlddirector.errors import BadInputError
from worlddirector.providers.base import VideoProvider

# name -> "module:Class"; modules are imported only when a provider is used.
PROVIDERS: dict[str, str] = {
    "procedural": "worlddirector.providers.procedural.provider:ProceduralProvider",
    "openai-videos": "worlddirector.providers.openai_videos:OpenAIVideosProvider",
    "veo": "worlddirector.providers.veo:VeoProvider",
    "fal": "worlddirector.providers.fal:FalProvider",
}


def provider_names() -> list[str]:
    return list(PROVIDERS)


def get_provider(name: str, **kwargs) -> VideoProvider:
    try:
        target = PROVIDERS[name]
    except KeyError:
        raise BadInputError(f"unknown provider {name!r}; choose one of: {', '.join(PROVIDERS)}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)(**kwargs)
