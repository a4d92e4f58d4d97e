"""Storage backends: local disk (default) and S3/R2 through boto3 against a real moto server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from test_world_support import free_port, wait_for

from worlddirector.config import load_settings
from worlddirector.errors import BadInputError, ConfigError, NotFoundError
from worlddirector.storage import LocalStorage, get_storage
from worlddirector.storage.s3 import S3Storage


@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    exe = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return httpx.get(url, timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    wait_for(up, timeout=30)
    yield url
    proc.terminate()
    proc.wait(10)


def _bucket(url: str, name: str) -> S3Storage:
    st = S3Storage(name, endpoint_url=url, access_key_id="testing", secret_access_key="testing",
                   region="us-east-1", url_ttl=120)
    st.client.create_bucket(Bucket=name)
    return st


def test_local_roundtrip_and_traversal(tmp_path):
    st = LocalStorage(tmp_path / "media")
    src = tmp_path / "a.mp4"
    src.write_bytes(b"0000ftypisom" + b"x" * 100)
    assert st.put_file("worlds/w/scenes/1-abc/video.mp4", src) == 112
    assert st.exists("worlds/w/scenes/1-abc/video.mp4")
    assert st.url("worlds/w/scenes/1-abc/video.mp4") == "/media/worlds/w/scenes/1-abc/video.mp4"
    out = st.get_file("worlds/w/scenes/1-abc/video.mp4", tmp_path / "b.mp4")
    assert out.read_bytes() == src.read_bytes()
    for bad in ("../x", "/etc/passwd", "a/../../b", "a//b", "", "a/./b"):
        with pytest.raises(BadInputError):
            st.put_file(bad, src)
    with pytest.raises(NotFoundError):
        st.get_file("worlds/none.mp4", tmp_path / "c.mp4")
    assert st.delete_prefix("worlds/w/scenes/1-abc") == 1
    assert not st.exists("worlds/w/scenes/1-abc/video.mp4")


def test_s3_roundtrip_signed_urls(tmp_path, moto_url):
    st = _bucket(moto_url, "wd-media")
    src = tmp_path / "v.mp4"
    src.write_bytes(b"0000ftypisom" + bytes(range(256)) * 40)
    key = "worlds/w/scenes/7-abc/video.mp4"
    assert st.put_file(key, src) == src.stat().st_size
    assert st.exists(key) and not st.exists("worlds/w/nothing.mp4")
    head = st.client.head_object(Bucket="wd-media", Key=key)
    assert head["ContentType"] == "video/mp4"
    url = st.url(key)
    q = parse_qs(urlparse(url).query)
    assert q["X-Amz-Expires"] == ["120"] and "X-Amz-Signature" in q
    assert httpx.get(url, timeout=10).content == src.read_bytes()  # the signed URL really serves the object
    assert st.get_file(key, tmp_path / "back.mp4").read_bytes() == src.read_bytes()
    with pytest.raises(NotFoundError):
        st.get_file("worlds/w/missing.mp4", tmp_path / "m.mp4")
    assert st.delete_prefix("worlds/w/scenes/7-abc") == 1
    assert not st.exists(key)


def test_s3_public_base_url(moto_url):
    st = S3Storage("pub", endpoint_url=moto_url, access_key_id="testing", secret_access_key="testing",
                   region="us-east-1", signed_urls=False, public_base_url="https://media.example.com/")
    assert st.url("worlds/a/video.mp4") == "https://media.example.com/worlds/a/video.mp4"
    raw = S3Storage("pub", endpoint_url=moto_url, access_key_id="t", secret_access_key="t", region="us-east-1",
                    signed_urls=False)
    assert raw.url("k/v.mp4") == f"{moto_url}/pub/k/v.mp4"


def test_get_storage_from_settings(tmp_path, moto_url):
    s = load_settings(data_dir=tmp_path)
    assert isinstance(get_storage(s), LocalStorage)
    s = load_settings(data_dir=tmp_path, r2_bucket_name="b", s3_endpoint_url=moto_url, r2_access_key_id="testing",
                      r2_secret_access_key="testing", r2_signed_url_ttl=30)
    st = get_storage(s)
    assert isinstance(st, S3Storage) and st.endpoint_url == moto_url and st.url_ttl == 30
    s = load_settings(data_dir=tmp_path, r2_bucket_name="b", r2_account_id="acct123", r2_access_key_id="k",
                      r2_secret_access_key="s")
    assert get_storage(s).endpoint_url == "https://acct123.r2.cloudflarestorage.com"
    with pytest.raises(ConfigError):
        get_storage(load_settings(data_dir=tmp_path, storage_backend="s3"))  # no bucket
    with pytest.raises(ConfigError):
        get_storage(load_settings(data_dir=tmp_path, storage_backend="ftp"))
