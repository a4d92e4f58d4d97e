"""``veo`` through the real google-genai SDK against a local fake of the generate-videos operation API."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest
from fakes.logs import debug_logging
from fakes.media import make_mp4
from fakes.server import serve
from fakes.veo_fake import FakeVeo
from pydantic import SecretStr

from worlddirector.config import load_settings
from worlddirector.providers.base import (
    AuthenticationFailed,
    InvalidRequest,
    JobExpired,
    ModerationRejected,
    ProviderUnavailable,
    QuotaExceeded,
    VideoRequest,
)
from worlddirector.providers.retry import RetryPolicy
from worlddirector.providers.veo import VeoProvider
from worlddirector.providers.videofile import probe_video

KEY = "AIzaCallerKey-1234567890abcdefghij"


class Sleeps(list):
    def __call__(self, s):
        self.append(s)


@pytest.fixture
def fake(tmp_path_factory):
    f = FakeVeo(video_bytes=make_mp4(tmp_path_factory.mktemp("m") / "v.mp4").read_bytes())
    with serve(f.app()) as url:
        f.url = url
        yield f


def _provider(fake, sleeps=None):
    s = load_settings(google_base_url=fake.url, google_api_key=None, veo_model="veo-3.0-generate-001")
    return VeoProvider(s, sleep=sleeps if sleeps is not None else Sleeps(),
                       policy=RetryPolicy(attempts=3, base=0.01, cap=0.05))


def _req(**kw):
    return VideoRequest(prompt="a paper boat drifts down a rainy street", seconds=7, size=(640, 360),
                        api_key=SecretStr(KEY), **kw)


def test_full_operation_to_video(fake, tmp_path):
    ref = tmp_path / "ref.png"
    cv2.imwrite(str(ref), np.full((36, 64, 3), 90, np.uint8))
    events = []
    gen = _provider(fake).generate(_req(reference_image=ref, seed=7), tmp_path / "c", lambda f, m: events.append(f))
    assert gen.provider == "veo" and gen.synthetic is False and gen.model == "veo-3.0-generate-001"
    assert gen.job_id.endswith(gen.job_id.rsplit("/", 1)[-1]) and "/operations/" in gen.job_id
    assert gen.cost_usd == pytest.approx(0.40 * 8)
    assert probe_video(tmp_path / "c" / "video.mp4").n_frames == 12
    create = fake.requests[0]
    assert create["model"] == "veo-3.0-generate-001"
    params = create["body"]["parameters"]
    assert params["durationSeconds"] == 8 and params["aspectRatio"] == "16:9" and params["seed"] == 7
    inst = create["body"]["instances"][0]
    assert inst["prompt"].startswith("a paper boat")
    assert base64.b64decode(inst["image"]["bytesBase64Encoded"]) == ref.read_bytes()
    assert sum(1 for r in fake.requests if r["kind"] == "fetch") == 3
    assert events == sorted(events) and events[-1] == 1.0
    assert fake.seen_keys[0] == KEY


@pytest.mark.parametrize("code,status,message,exc", [
    (401, "UNAUTHENTICATED", "API key not valid.", AuthenticationFailed),
    (429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'predict requests' per day.", QuotaExceeded),
    (400, "INVALID_ARGUMENT", "The prompt could not be submitted: it violates Vertex AI's usage guidelines.",
     ModerationRejected),
    (400, "INVALID_ARGUMENT", "durationSeconds must be between 4 and 8.", InvalidRequest),
])
def test_http_errors_are_typed(fake, tmp_path, code, status, message, exc):
    fake.create_errors.append((code, status, message, None, None))
    with pytest.raises(exc) as ei:
        _provider(fake).generate(_req(), tmp_path / "c")
    if exc is ModerationRejected:
        assert ei.value.target == "prompt"
    assert KEY not in str(ei.value)


def test_rate_limit_uses_retry_info(fake, tmp_path):
    fake.create_errors.append((429, "RESOURCE_EXHAUSTED", "Too many requests, slow down.",
                               [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}], None))
    sleeps = Sleeps()
    _provider(fake, sleeps).generate(_req(), tmp_path / "c")
    assert 2.0 <= sleeps[0] <= 2.1


def test_unavailable_is_retried_then_reported(fake, tmp_path):
    for _ in range(3):
        fake.create_errors.append((503, "UNAVAILABLE", "The service is currently unavailable.", None, None))
    with pytest.raises(ProviderUnavailable):
        _provider(fake).generate(_req(), tmp_path / "c")
    assert sum(1 for r in fake.requests if r["kind"] == "create") == 3


@pytest.mark.parametrize("outcome,exc,target", [
    ("filtered:Veo could not generate videos because the input image violates our policies.", ModerationRejected,
     "image"),
    ("error:8:Resource exhausted for this project.", QuotaExceeded, None),
    ("error:3:Unsupported aspect ratio.", InvalidRequest, None),
    ("empty", JobExpired, None),
    ("vanish", JobExpired, None),
])
def test_operation_outcomes(fake, tmp_path, outcome, exc, target):
    fake.next_outcome = outcome
    with pytest.raises(exc) as ei:
        _provider(fake).generate(_req(), tmp_path / "c")
    if target:
        assert ei.value.target == target
    assert not (tmp_path / "c" / "video.mp4").exists()


def test_resume_in_a_new_process(fake, tmp_path):
    first = _provider(fake).generate(_req(), tmp_path / "a")
    creates = sum(1 for r in fake.requests if r["kind"] == "create")
    again = _provider(fake).generate(_req(resume_job_id=first.job_id), tmp_path / "b")
    assert again.job_id == first.job_id and probe_video(tmp_path / "b" / "video.mp4").n_frames == 12
    assert sum(1 for r in fake.requests if r["kind"] == "create") == creates


def test_key_never_logged_or_written(fake, tmp_path, capsys):
    with debug_logging():
        fake.create_errors.append((401, "UNAUTHENTICATED", f"API key not valid: {KEY}", None, None))
        with pytest.raises(AuthenticationFailed) as ei:
            _provider(fake).generate(_req(), tmp_path / "x")
        assert KEY not in str(ei.value)
        _provider(fake).generate(_req(), tmp_path / "c")
        out = capsys.readouterr()
        assert "provider.status" in out.err + out.out
        assert KEY not in out.err + out.out
        for f in (tmp_path / "c").rglob("*"):
            assert KEY.encode() not in f.read_bytes()


def test_not_configured(monkeypatch):
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    ok, why = VeoProvider(load_settings(google_api_key=None)).configured()
    assert not ok and "GOOGLE_API_KEY" in why
