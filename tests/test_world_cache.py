"""The per-process scene cache never serves a view older than its TTL after a refresh is due."""

from __future__ import annotations

import time

from sqlalchemy import update

from worlddirector.config import load_settings
from worlddirector.world.models import SceneRecord
from worlddirector.world.service import WorldService
from worlddirector.world.settings import WorldSettings


def test_cache_refreshes_after_ttl(tmp_path):
    s = load_settings(data_dir=tmp_path / "d", database_url=f"sqlite:///{tmp_path}/w.db")
    svc = WorldService(s, WorldSettings(scene_cache_seconds=0.2)).start(jobs=False)
    try:
        assert b'"status":"pending"' in svc.scene_json("default", "")
        with svc.db.write() as c:  # another process finishes the scene
            c.execute(update(SceneRecord.__table__).values(status="failed", failure_code="x"))
        assert b'"status":"pending"' in svc.scene_json("default", "")  # within the TTL: cached
        time.sleep(0.25)
        first = svc.scene_json("default", "")  # the refresher reads the database
        assert b'"status":"failed"' in first
        for _ in range(3):
            time.sleep(0.25)
            assert b'"status":"failed"' in svc.scene_json("default", "")
    finally:
        svc.close()
