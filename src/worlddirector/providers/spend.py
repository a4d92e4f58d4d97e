"""Spend control: estimated cost per request, and a per-run ledger that enforces a cap.

Costs are estimated before a job is submitted (price per second of video for the model, from
the provider's public price list at the time of writing; override with the provider's
``PRICES`` table). The estimate is charged to the ledger when the job is accepted, whether or not
it later succeeds: a conservative choice, so a run can never spend more than its cap because of jobs
whose billing we could not see.

The ledger is a small JSON file (``spend.json`` in the run directory), written under an exclusive
file lock, so several processes sharing one run cannot overspend together.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from worlddirector.providers.base import SpendCapExceeded


class SpendLedger:
    def __init__(self, path: Path):
        self.path = Path(path)

    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        with open(lock, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read(self) -> dict:
        if not self.path.exists():
            return {"total_usd": 0.0, "entries": []}
        try:
            data = json.loads(self.path.read_text())
            return data if isinstance(data, dict) and "entries" in data else {"total_usd": 0.0, "entries": []}
        except (json.JSONDecodeError, OSError):
            return {"total_usd": 0.0, "entries": []}

    def total(self) -> float:
        return float(self._read().get("total_usd", 0.0))

    def reserve(self, usd: float, cap: float | None, *, provider: str, what: str) -> None:
        """Check that ``usd`` more stays within ``cap`` and record it, atomically."""
        with self._locked():
            data = self._read()
            total = float(data.get("total_usd", 0.0))
            if cap is not None and total + usd > cap + 1e-9:
                raise SpendCapExceeded(
                    f"{provider}: this clip would cost about ${usd:.2f}; the run has spent ${total:.2f} of its "
                    f"${cap:.2f} cap")
            data["entries"].append({"time": time.time(), "provider": provider, "usd": round(usd, 4), "what": what})
            data["total_usd"] = round(total + usd, 4)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(data, indent=1))
            os.replace(tmp, self.path)

    def refund(self, usd: float, *, provider: str, what: str) -> None:
        """Undo a reservation for a job the vendor never accepted."""
        with self._locked():
            data = self._read()
            data["entries"].append({"time": time.time(), "provider": provider, "usd": -round(usd, 4), "what": what})
            data["total_usd"] = round(max(0.0, float(data.get("total_usd", 0.0)) - usd), 4)
            self._write(data)

    def _write(self, data: dict) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.path)

    def annotate_last(self, job_id: str) -> None:
        with self._locked():
            data = self._read()
            if data["entries"]:
                data["entries"][-1]["job_id"] = job_id
                tmp = self.path.with_name(self.path.name + ".tmp")
                tmp.write_text(json.dumps(data, indent=1))
                os.replace(tmp, self.path)


def check_cap(usd: float, cap: float | None, *, provider: str) -> None:
    """Per-request check when there is no ledger: one clip alone must fit the cap."""
    if cap is not None and usd > cap + 1e-9:
        raise SpendCapExceeded(f"{provider}: this clip would cost about ${usd:.2f}, over the ${cap:.2f} cap")
