"""Secrets `meterbot up` makes for itself when the operator gave none, kept beside its data.

The surname key (METERBOT_SURNAME_KEY): accounts refuses to start without one, and outside
`meterbot up` an operator must provide it. For one machine, `meterbot up` makes one on first start
and keeps it in `<home>/surname.key` (mode 0600, like the PostgreSQL password in
`<home>/pgdata.password`). It must outlive every run: the digests stored in accounts match only the
key that made them, so the file is never rewritten; losing it means importing the registry again."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger("meterbot.up")

SURNAME_KEY_FILE = "surname.key"
LOCAL_KEY_ID = "local"  # so a key set later (id `1`) never checks a digest made under this one


def surname_key(home: Path) -> str:
    """The stack's own surname key, made (0600, 48 random bytes) the first time it is asked for."""
    path = home / SURNAME_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("%s was readable by others; made it 0600 (change the key if others read it)", path)
        path.chmod(0o600)
    return path.read_text().strip()


def stack_secrets_env(home: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """Settings to add to the services' environment: none when the operator set the key."""
    if environ.get("METERBOT_SURNAME_KEY"):
        return {}
    return {"METERBOT_SURNAME_KEY": surname_key(home), "METERBOT_SURNAME_KEY_ID": LOCAL_KEY_ID}
