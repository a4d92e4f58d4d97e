"""Driving a remote (paid) provider job so that a crash never pays twice.

Order of writes: a ledger row *before* submitting (so a paid job is always counted), the provider's
job id into the scene row the moment ``submit`` returns, then polling with progress. A job taken
over after a crash finds the id on the scene and only polls and downloads.
"""

from __future__ import annotations

import time

from worlddirector.providers.base import JobState, ProviderError, ProviderTimeout


def run_remote_job(service, provider, request, row, token, work, lease, on_progress, wlog):
    from worlddirector.world.render import ClaimLost, _ledger_for_job, _ledger_insert, _ledger_update

    job_id = row.get("provider_job_id")
    if job_id and not job_id.startswith("local-"):
        job_row = _ledger_for_job(service, row["id"], job_id)
        wlog.info("resuming provider job", provider=provider.name, job=job_id)
        _ledger_update(service, job_row, claim_token=token)
    else:
        job_row = _ledger_insert(service, row["id"], token, provider.name)
        job_id = provider.submit(request)
        _ledger_update(service, job_row, provider_job_id=job_id, status="running")
        if not lease.renew(provider_job_id=job_id, provider=provider.name):
            _try_cancel(provider, job_id, request)
            raise ClaimLost()
        wlog.info("provider job submitted", provider=provider.name, job=job_id)
    deadline = time.monotonic() + service.settings.scene_timeout_seconds
    while True:
        try:
            state: JobState = provider.poll(job_id, request)
        except ClaimLost:
            raise
        lease.check()
        if state.status == "completed":
            break
        if state.status in ("failed", "cancelled"):
            raise ProviderError(state.error or f"the provider reported the job {state.status}")
        on_progress(state.progress, f"rendering at {provider.name} ({state.status})")
        if time.monotonic() > deadline:
            _try_cancel(provider, job_id, request)
            raise ProviderTimeout("the provider did not finish in time")
        time.sleep(service.ws.provider_poll_seconds)
    gen = provider.download(job_id, request, work)
    lease.check()
    return gen, job_row


def _try_cancel(provider, job_id, request) -> None:
    try:
        provider.cancel(job_id, request)
    except Exception:  # noqa: BLE001 - best effort
        pass
