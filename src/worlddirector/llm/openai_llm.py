"""The ``openai`` backend: OpenAI's Responses API (or any compatible server) with strict JSON outputs.

Each call sends the task's instructions, the typed input as JSON text (and, for keyframes, the images
as ``input_image`` data URLs), and asks for ``text.format = json_schema`` (strict) built from the
output model. The answer is validated with the same pydantic model; an invalid answer is retried
once with the validation error attached, then reported as :class:`LLMError`: never padded.

Keys: the key passed in (a caller's own) lives only inside this object's SDK client. It is never
logged, and any error text from the server is scrubbed of it before it reaches a message.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TypeVar

import cv2
from pydantic import BaseModel, ValidationError

from worlddirector.errors import BadInputError, ConfigError
from worlddirector.llm import prompts
from worlddirector.llm.base import LLM
from worlddirector.llm.errors import LLMError
from worlddirector.llm.schemas import (
    PlanContext,
    RevisionRequest,
    RevisionResult,
    SceneGraph,
    ScenePlan,
    StateSummary,
    SummaryContext,
)
from worlddirector.llm.strict_schema import strict_schema
from worlddirector.logging import get_logger

log = get_logger(__name__)
T = TypeVar("T", bound=BaseModel)

MAX_IMAGE_SIDE = 768
MAX_IMAGES = 8


def image_data_url(path: Path) -> str:
    """A JPEG data URL of the image, downscaled so the longest side is at most ``MAX_IMAGE_SIDE``."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise BadInputError(f"{path}: not a readable image")
    h, w = img.shape[:2]
    s = MAX_IMAGE_SIDE / max(h, w)
    if s < 1:
        img = cv2.resize(img, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise BadInputError(f"{path}: could not encode image")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()


class OpenAILLM(LLM):
    name = "openai"
    offline = False

    def __init__(self, api_key: str | None = None, settings=None, *, timeout: float = 120.0, max_retries: int = 2):
        import openai

        from worlddirector.config import get_settings

        s = settings or get_settings()
        key = api_key or (s.openai_api_key.get_secret_value() if s.openai_api_key else None)
        self.base_url = s.openai_base_url
        if not key and not self.base_url:
            raise ConfigError("the openai model backend needs OPENAI_API_KEY (or a caller's key) or OPENAI_BASE_URL")
        self.model = s.openai_llm_model
        self.summary_model = (s.state_summary_model or "").strip() or s.openai_llm_model
        self._secret = key or ""
        # max_retries: the SDK retries 408/409/429/5xx and connection errors itself, honouring Retry-After
        self._client = openai.OpenAI(api_key=key or "not-needed", base_url=self.base_url, timeout=timeout,
                                     max_retries=max_retries)

    def __repr__(self) -> str:  # never show the key
        return f"OpenAILLM(model={self.model!r}, base_url={self.base_url!r})"

    # ---- the four tasks ------------------------------------------------------------------------

    def plan_scene(self, ctx: PlanContext) -> ScenePlan:
        return self._ask("scene_plan", ScenePlan, prompts.PLAN, ctx.model_dump_json(), model=self.model)

    def summarize_state(self, ctx: SummaryContext) -> StateSummary:
        return self._ask("state_summary", StateSummary, prompts.SUMMARY, ctx.model_dump_json(), model=self.summary_model)

    def describe_keyframes(self, images: list[Path], hint: str = "") -> SceneGraph:
        if not images:
            raise BadInputError("no keyframes to describe")
        paths = [Path(p) for p in images]
        if len(paths) > MAX_IMAGES:  # spread evenly: cost grows with images, coverage does not
            step = len(paths) / MAX_IMAGES
            paths = [paths[int(i * step)] for i in range(MAX_IMAGES)]
        for p in paths:
            if not p.is_file():
                raise BadInputError(f"{p}: keyframe image not found")
        imgs = [image_data_url(p) for p in paths]
        text = json.dumps({"keyframes": len(imgs), "hint": hint})
        return self._ask("scene_graph", SceneGraph, prompts.DESCRIBE, text, model=self.model, images=imgs)

    def revise_prompt(self, req: RevisionRequest) -> RevisionResult:
        return self._ask("prompt_revision", RevisionResult, prompts.REVISE, req.model_dump_json(), model=self.model)

    # ---- transport -------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "[redacted]")
        return " ".join(text.split())[:300]

    def _call(self, name: str, out: type[BaseModel], instructions: str, content: list[dict], model: str):
        import openai

        try:
            return self._client.responses.create(
                model=model,
                instructions=instructions,
                input=[{"role": "user", "content": content}],
                text={"format": {"type": "json_schema", "name": name, "schema": strict_schema(out), "strict": True}},
            )
        except openai.AuthenticationError:
            raise LLMError(f"model server rejected the API key (model {model})") from None
        except openai.PermissionDeniedError as exc:
            raise LLMError(f"model server refused access: {self._scrub(_message(exc))}") from None
        except openai.RateLimitError as exc:
            raise LLMError(f"model server rate limit or quota exceeded: {self._scrub(_message(exc))}") from None
        except openai.NotFoundError:
            raise LLMError(f"model {model!r} not found on the model server") from None
        except openai.BadRequestError as exc:
            raise LLMError(f"model server rejected the request: {self._scrub(_message(exc))}") from None
        except openai.APITimeoutError:
            raise LLMError("model server timed out") from None
        except openai.APIConnectionError:
            raise LLMError(f"cannot reach the model server at {self.base_url or 'api.openai.com'}") from None
        except openai.APIStatusError as exc:
            raise LLMError(f"model server error {exc.status_code}: {self._scrub(_message(exc))}") from None

    def _ask(self, name: str, out: type[T], instructions: str, text: str, *, model: str,
             images: list[str] | None = None) -> T:
        content: list[dict] = [{"type": "input_text", "text": text}]
        for url in images or []:
            content.append({"type": "input_image", "image_url": url, "detail": "low"})
        problem = ""
        for attempt in (1, 2):
            if problem:
                content = content + [{"type": "input_text", "text": (
                    f"Your previous answer was invalid ({problem}). Answer again with JSON that matches the schema "
                    "exactly.")}]
            resp = self._call(name, out, instructions, content, model)
            problem = _invalid(resp, out)
            if not isinstance(problem, str):
                log.info("llm.answer", task=name, model=model, attempt=attempt)
                return problem
            log.warning("llm.invalid_output", task=name, model=model, attempt=attempt, problem=problem)
        raise LLMError(f"model {model!r} returned invalid {name} output twice: {problem}")


def _message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(getattr(exc, "message", "") or exc)


def _invalid(resp, out: type[T]) -> T | str:
    """The validated output, or a short reason why the response is unusable."""
    status = getattr(resp, "status", None)
    if status not in (None, "completed"):
        return f"response status {status}"
    for item in getattr(resp, "output", None) or []:
        for c in getattr(item, "content", None) or []:
            if getattr(c, "type", "") == "refusal":
                return "the model refused"
    text = resp.output_text if hasattr(resp, "output_text") else ""
    if not text.strip():
        return "empty answer"
    try:
        return out.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        return f"{loc}: {err['msg']}"
