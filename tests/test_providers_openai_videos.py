"""``openai-videos`` through the real openai SDK against a local fake of the /v1/videos contract."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from fakes.logs import debug_logging
from fakes.media import make_mp4
from fakes.openai_fake import FakeOpenAI
from fakes.server import serve
from pydantic import SecretStr

from worlddirector.artifacts import Generation
from worlddirector.config import load_settings
from worlddirector.providers.base import (
    AuthenticationFailed,
    InvalidRequest,
    JobExpired,
    ModerationRejected,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    SpendCapExceeded,
    VideoRequest,
)
from worlddirector.providers.openai_videos import OpenAIVideosProvider
from worlddirector.providers.registry import get_provider
from worlddirector.providers.retry import RetryPolicy
from worlddirector.providers.videofile import probe_video

KEY = "sk-caller-9d8c7b6a5f4e3d2c1b0a"


class Sleeps(list):
    """Records requested sleeps without sleeping (the fake advances per poll, not per second)."""

    def __call__(self, s: float) -> None:
        self.append(s)


@pytest.fixture
def fake(tmp_path_factory):
    f = FakeOpenAI()
    f.video_bytes = make_mp4(tmp_path_factory.mktemp("media") / "clip.mp4").read_bytes()
    with serve(f.app()) as url:
        f.url = url
        yield f


def _provider(fake, sleep=None, **settings):
    settings = {"spend_cap_usd": 20.0, **settings}
    s = load_settings(openai_base_url=fake.url + "/v1", openai_api_key=None, **settings)
    return OpenAIVideosProvider(s, sleep=sleep if sleep is not None else Sleeps(), policy=RetryPolicy(attempts=3, base=0.01, cap=0.05))


def _req(**kw):
    return VideoRequest(prompt="a red ball rolls across a wooden floor", seconds=8, size=(640, 360),
                        api_key=SecretStr(KEY), **kw)


def test_registry_names():
    from worlddirector.providers.registry import provider_names

    assert {"procedural", "openai-videos", "veo", "fal"} <= set(provider_names())
    assert get_provider("openai-videos", settings=load_settings()).name == "openai-videos"


def test_full_generate_poll_download(fake, tmp_path):
    fake.poll_after_ms = 120
    sleeps = Sleeps()
    events = []
    gen = _provider(fake, sleeps).generate(_req(), tmp_path / "clip", lambda f, m: events.append((f, m)))
    out = tmp_path / "clip"
    assert isinstance(gen, Generation) and gen.synthetic is False and gen.provider == "openai-videos"
    assert gen.job_id and gen.job_id.startswith("video_") and gen.cost_usd == pytest.approx(0.8)
    info = probe_video(out / "video.mp4")
    assert info.n_frames == 12 and info.codec == "h264"
    assert Generation.load(out).job_id == gen.job_id
    assert json.loads((out / "job.json").read_text())["job_id"] == gen.job_id
    assert (out / "thumbnail.webp").read_bytes() == fake.thumbnail_bytes
    assert (out / "spritesheet.jpg").read_bytes() == fake.spritesheet_bytes
    # what the SDK sent: sora's allowed values, as multipart form fields
    form = fake.requests[0]["form"]
    assert form == {"model": "sora-2", "prompt": "a red ball rolls across a wooden floor", "seconds": "8",
                    "size": "1280x720"}
    # the openai-poll-after-ms header decides the poll interval
    assert sleeps and all(s == pytest.approx(0.12) for s in sleeps)
    fractions = [f for f, _ in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("in progress" in m for _, m in events)


def test_reference_image_is_uploaded_resized(fake, tmp_path):
    ref = tmp_path / "last.png"
    cv2.imwrite(str(ref), np.full((90, 160, 3), 128, np.uint8))
    _provider(fake).generate(_req(reference_image=ref), tmp_path / "c")
    info = fake.requests[0]["input_reference"]
    assert info and info["content_type"] == "image/jpeg" and info["size"] > 100


@pytest.mark.parametrize("status,message,type_,code,param_exc", [
    (401, f"Incorrect API key provided: {KEY}.", "invalid_request_error", "invalid_api_key", AuthenticationFailed),
    (400, "Your request was blocked by our moderation system (input_reference contains a face).",
     "invalid_request_error", "moderation_blocked", ("image",)),
    (400, "Your prompt was blocked by our moderation system.", "invalid_request_error", "moderation_blocked",
     ("prompt",)),
    (429, "You exceeded your current quota, please check your plan and billing details.", "insufficient_quota",
     "insufficient_quota", QuotaExceeded),
    (400, "Invalid value for 'seconds': must be one of 4, 8, 12.", "invalid_request_error", "invalid_value",
     InvalidRequest),
])
def test_create_errors_are_typed(fake, tmp_path, status, message, type_, code, param_exc):
    fake.create_errors.append((status, message, type_, code, None))
    with pytest.raises((AuthenticationFailed, ModerationRejected, QuotaExceeded, InvalidRequest)) as ei:
        _provider(fake).generate(_req(), tmp_path / "c")
    if isinstance(param_exc, tuple):
        assert isinstance(ei.value, ModerationRejected) and ei.value.target == param_exc[0]
    else:
        assert isinstance(ei.value, param_exc)
    assert KEY not in str(ei.value)
    assert len([r for r in fake.requests if r["path"] == "/v1/videos"]) == 1  # not retried
    assert not (tmp_path / "c" / "video.mp4").exists()


def test_rate_limit_honours_retry_after_then_succeeds(fake, tmp_path):
    fake.create_errors.append((429, "Rate limit reached for requests", "requests", "rate_limit_exceeded",
                               {"retry-after": "1.5"}))
    sleeps = Sleeps()
    gen = _provider(fake, sleeps).generate(_req(), tmp_path / "c")
    assert gen.job_id
    assert 1.5 <= sleeps[0] <= 1.6
    assert len([r for r in fake.requests if r["path"] == "/v1/videos"]) == 2


def test_server_errors_retry_with_backoff_then_fail(fake, tmp_path):
    for _ in range(3):
        fake.create_errors.append((503, "The server is overloaded.", "server_error", None, None))
    sleeps = Sleeps()
    with pytest.raises(ProviderUnavailable, match="server error 503"):
        _provider(fake, sleeps).generate(_req(), tmp_path / "c")
    assert len(sleeps) == 2 and all(0 < s <= 0.05 for s in sleeps)


@pytest.mark.parametrize("outcome,exc,match", [
    ("failed:moderation_blocked:The generated video was flagged by our content policy.", ModerationRejected,
     "moderation"),
    ("unknown_status", JobExpired, "unknown status 'mystery_state'"),
    ("vanish", JobExpired, "unknown or expired"),
])
def test_job_outcomes_are_terminal(fake, tmp_path, outcome, exc, match):
    fake.next_outcome = outcome
    with pytest.raises(exc, match=match):
        _provider(fake).generate(_req(), tmp_path / "c")
    assert not (tmp_path / "c" / "video.mp4").exists()


def test_deadline_cancels_the_job(fake, tmp_path):
    import time

    fake.steps = 10_000
    with pytest.raises(ProviderTimeout, match="did not finish within"):
        _provider(fake, sleep=time.sleep).generate(_req(deadline_seconds=0.6), tmp_path / "c")
    assert any(r["path"].startswith("DELETE") for r in fake.requests)


def test_hanging_status_calls_time_out_after_retries(fake, tmp_path):
    fake.retrieve_delay = 1.0
    p = _provider(fake)
    p.request_timeout = 0.2
    with pytest.raises(ProviderTimeout, match="timed out"):
        p.generate(_req(), tmp_path / "c")
    assert not (tmp_path / "c" / "video.mp4").exists()


def test_slow_download_still_yields_a_valid_video(fake, tmp_path):
    fake.video_bytes = make_mp4(tmp_path / "big.mp4", seconds=3, size=(320, 180)).read_bytes()
    fake.download_delay = 0.05
    _provider(fake).generate(_req(), tmp_path / "c")
    assert probe_video(tmp_path / "c" / "video.mp4").n_frames == 36


def test_corrupt_download_is_an_error_not_a_clip(fake, tmp_path):
    fake.video_bytes = b"<html>gateway error</html>"
    with pytest.raises(Exception, match="unusable video"):
        _provider(fake).generate(_req(), tmp_path / "c")
    assert not (tmp_path / "c" / "video.mp4").exists()


def test_spend_cap_blocks_before_submitting(fake, tmp_path):
    with pytest.raises(SpendCapExceeded, match=r"\$0.80"):
        _provider(fake).generate(_req(budget_usd=0.5), tmp_path / "c")
    with pytest.raises(SpendCapExceeded):
        _provider(fake, spend_cap_usd=0.5).generate(_req(), tmp_path / "c")
    assert fake.requests == []
    # a run ledger: the cap covers the run, not one clip
    ledger = tmp_path / "run" / "spend.json"
    p = _provider(fake, spend_cap_usd=1.0)
    p.generate(_req(spend_ledger=ledger), tmp_path / "run" / "iter-01")
    with pytest.raises(SpendCapExceeded, match=r"spent \$0.80 of its \$1.00 cap"):
        p.generate(_req(spend_ledger=ledger), tmp_path / "run" / "iter-02")
    assert json.loads(ledger.read_text())["total_usd"] == pytest.approx(0.8)


def test_resume_polls_the_existing_job_without_paying_again(fake, tmp_path):
    p = _provider(fake)
    first = p.generate(_req(), tmp_path / "a")
    n_creates = len([r for r in fake.requests if r["path"] == "/v1/videos"])
    again = p.generate(_req(resume_job_id=first.job_id), tmp_path / "b")
    assert again.job_id == first.job_id
    assert len([r for r in fake.requests if r["path"] == "/v1/videos"]) == n_creates
    assert probe_video(tmp_path / "b" / "video.mp4").n_frames == 12


def test_remix_and_delete(fake, tmp_path):
    p = _provider(fake)
    first = p.generate(_req(), tmp_path / "a")
    remixed = p.remix(first.job_id, "the same scene at night", tmp_path / "r", api_key=KEY)
    assert remixed.parameters["remixed_from"] == first.job_id and remixed.job_id != first.job_id
    assert p.delete(first.job_id, api_key=KEY) is True
    with pytest.raises(JobExpired):
        p.generate(_req(resume_job_id=first.job_id), tmp_path / "gone")


def test_callers_key_is_never_logged_or_written(fake, tmp_path, capsys):
    with debug_logging():
        fake.create_errors.append((429, "Rate limit reached", "requests", "rate_limit_exceeded", {"retry-after": "0"}))
        _provider(fake).generate(_req(), tmp_path / "c")
        assert fake.seen_auth[-1] == f"Bearer {KEY}"  # it was used...
        err = capsys.readouterr()
        assert "provider.retry" in err.err  # ...logging happened...
        assert KEY not in err.err + err.out  # ...but never with the key
        for f in (tmp_path / "c").rglob("*"):
            if f.is_file():
                assert KEY.encode() not in f.read_bytes(), f


def test_not_configured_without_any_key(tmp_path):
    from worlddirector.errors import ConfigError

    p = OpenAIVideosProvider(load_settings(openai_api_key=None))
    ok, why = p.configured()
    assert not ok and "OPENAI_API_KEY" in why
    with pytest.raises(ConfigError, match="not configured"):
        p.generate(VideoRequest(prompt="x"), tmp_path / "c")
