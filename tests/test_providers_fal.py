"""``fal`` (queue API over httpx) against a local fake of fal's documented queue endpoints."""

from __future__ import annotations

import time

import pytest
from fakes.fal_fake import FakeFal
from fakes.logs import debug_logging
from fakes.media import make_mp4
from fakes.server import serve
from pydantic import SecretStr

from worlddirector.config import load_settings
from worlddirector.providers.base import (
    AuthenticationFailed,
    InvalidRequest,
    JobExpired,
    ModerationRejected,
    ProviderTimeout,
    QuotaExceeded,
    RateLimited,
    VideoRequest,
)
from worlddirector.providers.fal import FalProvider, app_id
from worlddirector.providers.retry import RetryPolicy
from worlddirector.providers.videofile import probe_video

KEY = "fal-caller-key-5e6f7a8b9c0d"
MODEL = "fal-ai/wan/v2.2-a14b/text-to-video"


class Sleeps(list):
    def __call__(self, s):
        self.append(s)


@pytest.fixture
def fake(tmp_path_factory):
    f = FakeFal(video_bytes=make_mp4(tmp_path_factory.mktemp("m") / "v.mp4").read_bytes())
    with serve(f.app()) as url:
        f.url = url
        yield f


def _provider(fake, sleeps=None, attempts=3):
    s = load_settings(fal_base_url=fake.url, fal_key=None, fal_model=MODEL)
    return FalProvider(s, sleep=sleeps if sleeps is not None else Sleeps(),
                       policy=RetryPolicy(attempts=attempts, base=0.01, cap=0.05))


def _req(**kw):
    return VideoRequest(prompt="a kite loops over a windy beach", seconds=6, size=(640, 360),
                        api_key=SecretStr(KEY), seed=3, **kw)


def test_app_id_drops_the_subpath():
    assert app_id(MODEL) == "fal-ai/wan"


def test_submit_status_result_download(fake, tmp_path):
    events = []
    gen = _provider(fake).generate(_req(), tmp_path / "c", lambda f, m: events.append((f, m)))
    assert gen.provider == "fal" and gen.synthetic is False and gen.model == MODEL
    assert probe_video(tmp_path / "c" / "video.mp4").n_frames == 12
    sub = fake.requests[0]
    assert sub["model"] == MODEL
    assert sub["body"] == {"prompt": "a kite loops over a windy beach", "aspect_ratio": "16:9", "seed": 3,
                           "num_frames": 96, "frames_per_second": 16, "resolution": "480p"}
    kinds = [r["kind"] for r in fake.requests]
    assert kinds == ["submit", "status", "status", "status", "result"]
    assert any("queued" in m for _, m in events) and any("in progress" in m for _, m in events)
    # the key went to the queue endpoints, never to the file host
    auth = dict(fake.auth_seen)
    assert auth[f"/{MODEL}"] == f"Key {KEY}"
    assert all(a == "" for p, a in fake.auth_seen if p.startswith("/files/"))
    assert gen.cost_usd == pytest.approx(0.08 * 6)


@pytest.mark.parametrize("status,detail,exc", [
    (401, f"Invalid key: {KEY}", AuthenticationFailed),
    (403, "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.",
     QuotaExceeded),
    (422, [{"loc": ["body", "image_url"], "msg": "Image flagged by content checker", "type": "content_policy_violation"}],
     ModerationRejected),
    (422, [{"loc": ["body", "num_frames"], "msg": "ensure this value is less than or equal to 121",
            "type": "value_error"}], InvalidRequest),
])
def test_submit_errors_are_typed(fake, tmp_path, status, detail, exc):
    fake.submit_errors.append((status, detail, None))
    with pytest.raises(exc) as ei:
        _provider(fake).generate(_req(), tmp_path / "c")
    if exc is ModerationRejected:
        assert ei.value.target == "image"
    assert KEY not in str(ei.value)
    assert sum(1 for r in fake.requests if r["kind"] == "submit") == 1


def test_rate_limit_retry_after(fake, tmp_path):
    fake.submit_errors += [(429, "Too many requests", {"Retry-After": "3"})]
    sleeps = Sleeps()
    _provider(fake, sleeps).generate(_req(), tmp_path / "c")
    assert 3.0 <= sleeps[0] <= 3.1
    fake.submit_errors += [(429, "Too many requests", {"Retry-After": "3"})] * 3
    with pytest.raises(RateLimited):
        _provider(fake, Sleeps(), attempts=2).generate(_req(), tmp_path / "d")


@pytest.mark.parametrize("outcome,exc", [
    ("error:content_policy_violation:The prompt was flagged by the content checker.", ModerationRejected),
    ("error:runner_timeout:Runner timed out.", ProviderTimeout),
    ("weird_status", JobExpired),
    ("vanish", JobExpired),
    ("result_422", ModerationRejected),
])
def test_terminal_outcomes(fake, tmp_path, outcome, exc):
    fake.next_outcome = outcome
    with pytest.raises(exc):
        _provider(fake).generate(_req(), tmp_path / "c")
    assert not (tmp_path / "c" / "video.mp4").exists()


def test_deadline_cancels_via_cancel_url(fake, tmp_path):
    fake.steps = 100_000
    with pytest.raises(ProviderTimeout, match="cancelled at the provider"):
        _provider(fake, time.sleep).generate(_req(deadline_seconds=0.5), tmp_path / "c")
    rid = next(r["id"] for r in fake.requests if r["kind"] == "cancel")
    assert fake.reqs[rid].cancelled


def test_slow_download_and_resume(fake, tmp_path):
    fake.video_bytes = make_mp4(tmp_path / "b.mp4", seconds=2, size=(320, 180)).read_bytes()
    fake.download_delay = 0.03
    first = _provider(fake).generate(_req(), tmp_path / "a")
    again = _provider(fake).generate(_req(resume_job_id=first.job_id), tmp_path / "b")  # a new process
    assert probe_video(tmp_path / "b" / "video.mp4").n_frames == 24
    assert again.job_id == first.job_id
    assert sum(1 for r in fake.requests if r["kind"] == "submit") == 1


def test_key_never_logged_or_written(fake, tmp_path, capsys):
    with debug_logging():
        _provider(fake).generate(_req(), tmp_path / "c")
        out = capsys.readouterr()
        assert "provider.status" in out.err + out.out and KEY not in out.err + out.out
        for f in (tmp_path / "c").rglob("*"):
            assert KEY.encode() not in f.read_bytes()


def test_public_generate_entry_point_uses_the_registry(fake, tmp_path, monkeypatch):
    """``providers.generate.generate(..., provider="fal")`` reaches this provider with settings from the env."""
    from worlddirector.config import get_settings
    from worlddirector.providers.generate import generate

    monkeypatch.setenv("WD_FAL_BASE_URL", fake.url)
    monkeypatch.setenv("FAL_KEY", KEY)
    monkeypatch.setenv("WD_FAL_MODEL", "fal-ai/kling-video/v2.1/standard/text-to-video")
    get_settings.cache_clear()
    try:
        gen = generate(VideoRequest(prompt="a kite loops over a windy beach", seconds=8), tmp_path / "c", provider="fal")
    finally:
        get_settings.cache_clear()
    assert gen.provider == "fal" and gen.model.startswith("fal-ai/kling-video")
    assert fake.requests[0]["body"]["duration"] == "10"
    assert probe_video(tmp_path / "c" / "video.mp4").n_frames == 12
