"""The world on S3-compatible storage (a real moto server): media come back as signed URLs that
serve the clip, and a child fetches its parent's clip from the bucket to continue it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import boto3
import httpx
from test_storage import moto_url  # noqa: F401 - fixture
from test_world_support import Server, wait_for, world_env


def test_world_on_s3(tmp_path, moto_url):  # noqa: F811
    boto3.client("s3", endpoint_url=moto_url, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket="world-media")
    env = world_env(tmp_path, f"sqlite:///{tmp_path}/world.db", WD_SCENE_SECONDS="1", WD_SCENE_FPS="8",
                    WD_VIDEO_SIZE="160x90", R2_BUCKET_NAME="world-media", S3_ENDPOINT_URL=moto_url,
                    R2_ACCESS_KEY_ID="testing", R2_SECRET_ACCESS_KEY="testing", R2_SIGNED_URL_TTL="300")
    s = Server(tmp_path, env).start()
    try:
        def ready(path):
            return wait_for(lambda: (x := httpx.get(f"{s.url}/worlds/default/scenes", params={"path": path},
                                                    timeout=10).json())["status"] in ("ready", "failed") and x,
                            timeout=180)

        httpx.post(f"{s.url}/worlds/default/scenes", json={"path": ""}, timeout=30)
        root = ready("")
        assert root["status"] == "ready", root
        url = root["media"]["video"]
        assert url.startswith(moto_url) and parse_qs(urlparse(url).query)["X-Amz-Expires"] == ["300"]
        assert httpx.get(url, timeout=30).content[4:8] == b"ftyp"
        assert not (tmp_path / "data" / "media").exists()  # nothing on local disk
        # the child's job runs in a fresh cache: drop it so the parent must come from the bucket
        import shutil

        shutil.rmtree(tmp_path / "data" / "world-cache", ignore_errors=True)
        httpx.post(f"{s.url}/worlds/default/scenes", json={"path": "0"}, timeout=30)
        child = ready("0")
        assert child["status"] == "ready", child
        assert child["continuityScore"] is not None and child["continuityScore"] > 0.3
        keys = [o["Key"] for o in boto3.client("s3", endpoint_url=moto_url, aws_access_key_id="testing",
                                                aws_secret_access_key="testing", region_name="us-east-1")
                .list_objects_v2(Bucket="world-media")["Contents"]]
        assert sum(k.endswith("/video.mp4") for k in keys) == 2 and any(k.endswith("/generation.json") for k in keys)
    finally:
        s.stop()
