"""Small rules: safe public messages, contributor hashes, sliding-window limits, continuity score."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from worlddirector.world.contributors import RateLimited, SlidingWindow, contributor_hash
from worlddirector.world.frames import continuity_score
from worlddirector.world.render import safe_message


def test_safe_message_strips_the_callers_key():
    key = SecretStr("mysecret-value-not-keylike-123")
    msg = safe_message("provider said: bad key mysecret-value-not-keylike-123 \n(sk-abcdefghijklmnop)", key)
    assert "mysecret" not in msg and "sk-abcdefghijklmnop" not in msg and "\n" not in msg
    assert msg.startswith("provider said")


def test_contributor_hash_salted_and_stable():
    k = SecretStr("sk-someone-1234567890")
    a = contributor_hash("salt1", k, "1.2.3.4")
    assert a == contributor_hash(SecretStr("salt1"), k, "9.9.9.9")  # a key identifies the contributor
    assert a != contributor_hash("salt2", k, "1.2.3.4")
    assert len(a) == 24 and "someone" not in a
    assert contributor_hash("s", None, "1.2.3.4") != contributor_hash("s", None, "1.2.3.5")


def test_sliding_window():
    w = SlidingWindow(2, 10.0)
    w.hit("a", "x", now=0.0)
    w.check("a", "x", now=1.0)
    w.hit("a", "x", now=1.0)
    with pytest.raises(RateLimited) as exc:
        w.check("a", "x", now=2.0)
    assert exc.value.http_status == 429 and 7 <= exc.value.retry_after <= 8
    w.hit("b", "x", now=2.0)  # others unaffected
    w.hit("a", "x", now=10.5)  # the first hit left the window


def test_continuity_score_orders_similarity(tmp_path: Path):
    import cv2

    rng = np.random.default_rng(0)
    base = (rng.random((180, 320, 3)) * 255).astype(np.uint8)
    base = cv2.GaussianBlur(base, (9, 9), 3)
    shifted = np.roll(base, 6, axis=1)
    other = cv2.GaussianBlur((rng.random((180, 320, 3)) * 255).astype(np.uint8), (9, 9), 3)
    other[..., 0] = 255 - other[..., 0]
    for name, img in (("a", base), ("b", shifted), ("c", other)):
        cv2.imwrite(str(tmp_path / f"{name}.png"), img)
    same = continuity_score(tmp_path / "a.png", tmp_path / "a.png")
    near = continuity_score(tmp_path / "a.png", tmp_path / "b.png")
    far = continuity_score(tmp_path / "a.png", tmp_path / "c.png")
    assert same == pytest.approx(1.0, abs=1e-6)
    assert same > near > far
