"""Schemathesis against the world API's OpenAPI spec: no generated request may produce a 5xx, and
every response must match the documented schema. Bounded examples keep it fast. Claims run with the
job runner off: the property under test is the HTTP surface, the jobs are tested elsewhere."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from worlddirector.config import load_settings
from worlddirector.server.app import create_app
from worlddirector.world.service import WorldService
from worlddirector.world.settings import WorldSettings


def _app(tmp):
    s = load_settings(data_dir=tmp / "data", database_url=f"sqlite:///{tmp}/schema.db", video_size="160x90")
    app = create_app(s)
    svc = WorldService(s, WorldSettings(claim_rate_per_ip=10**9, claim_rate_per_contributor=10**9,
                                        watchdog=False)).start(jobs=False)
    from worlddirector.world.runner import InProcessRunner

    class _NoRun(InProcessRunner):  # claims are recorded in the database; no rendering during fuzzing
        def submit(self, ticket):
            pass

    svc.runner = _NoRun(svc, 1)
    app.state.world_service = svc
    return app


import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="wd-schema-"))
APP = _app(_TMP)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema = schema.exclude(path_regex=r"^/(api|runs|director|ui|static|$)").exclude(path_regex=r"/events$")
schema = schema.include(path_regex=r"^/(worlds|media)")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_world_api_conforms(case):
    from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance, status_code_conformance])
