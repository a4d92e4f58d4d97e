"""Turn a pydantic output model into a JSON schema OpenAI's *strict* structured outputs accept.

Strict mode wants every object to list all its properties as required and to forbid additional
properties; it rejects ``default`` and ``title`` noise. The output models are written to satisfy
this already (no defaults, ``extra="forbid"``); this pass enforces it recursively so a future field
with a default cannot silently break strict mode.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DROP = {"default", "title"}


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _walk(v) for k, v in node.items() if k not in _DROP}
        if out.get("type") == "object" and "properties" in node:
            out["properties"] = {k: _walk(v) for k, v in node["properties"].items()}
            out["required"] = list(node["properties"])
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_walk(v) for v in node]
    return node


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    return _walk(model.model_json_schema())
