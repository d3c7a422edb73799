"""Where the CLI finds things: the state directory, ports and service URLs of the stack."""

from __future__ import annotations

import os
from pathlib import Path

PORTS = {"intake": 8101, "charging": 8102, "court": 8103, "support": 8104, "insights": 8105}
BROKER_PORT = 9092
POSTGRES_PORT = 5433


def state_dir() -> Path:
    """``WJA_STATE_DIR`` or ``.wja`` in the current directory (the repository root)."""
    return Path(os.environ.get("WJA_STATE_DIR", ".wja")).resolve()


def service_url(service: str) -> str:
    """``WJA_<SERVICE>_URL`` or the embedded stack's address."""
    return os.environ.get(f"WJA_{service.upper()}_URL", f"http://127.0.0.1:{PORTS[service]}")
