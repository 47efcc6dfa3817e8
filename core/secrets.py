"""Secrets of provider and executor configurations: split from the rest of a configuration,
encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``), and
masked in every response.

Keys: ``FLOWKER_SECRET_KEYS`` holds one or more Fernet keys, comma-separated, newest first.
Everything is encrypted with the first; any of them decrypts (``MultiFernet``), so a key is
rotated by putting a new one in front and running ``flowker secrets rotate``, which
re-encrypts every stored secret with it. Without ``FLOWKER_SECRET_KEYS`` the embedded mode
keeps a generated key in ``./var/secret.key`` (mode 0600).

What is secret: a value whose key names a credential (``password``, ``secret``, ``token``,
``api_key``, ``apikey``, ``client_secret``, ``private_key``, ``authorization``, ``cookie``,
``credential``, ``key`` as a whole word …), and every value of a ``headers`` object (they
carry credentials more often than not). Secrets are replaced by ``"********"`` in responses.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

MASK = "********"
DEFAULT_KEY_FILE = "var/secret.key"
_SECRET_WORDS = re.compile(
    r"(password|passwd|passphrase|passcode|secret|token|api_?keys?|private_?key|authorization|cookie|credential"
    r"|signature|bearer|session|assertion)",
    re.IGNORECASE,
)
_WHOLE_WORDS = {"key", "keys", "pin", "otp", "cvv", "cvc", "jwt", "pass", "pwd", "refresh"}
_lock = threading.Lock()
_cipher: MultiFernet | None = None


class SecretsError(Exception):
    """Stored secrets that no configured key can decrypt."""


def is_secret_key(name: str) -> bool:
    tokens = re.split(r"[_\-\s]|(?<=[a-z])(?=[A-Z])", name)
    return bool(_SECRET_WORDS.search(name)) or any(t.lower() in _WHOLE_WORDS for t in tokens)


def split(config, parent: str = ""):
    """Split ``config`` into (public, secrets): ``public`` keeps every key, secret values
    replaced by MASK; ``secrets`` maps JSON-pointer-like paths (``/auth/client_secret``) to
    the secret values."""
    secrets: dict[str, object] = {}

    def walk(value, path: str, secret_parent: bool):
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                child = f"{path}/{key}"
                if secret_parent or is_secret_key(str(key)):
                    # A secret key's whole value is secret, whatever its shape.
                    if item not in (None, ""):
                        secrets[child] = item
                        out[key] = MASK
                    else:
                        out[key] = item
                else:
                    out[key] = walk(item, child, str(key).lower() == "headers")
            return out
        if isinstance(value, list):
            return [walk(item, f"{path}/{i}", False) for i, item in enumerate(value)]
        return value

    return walk(config, parent, False), secrets


def join(public, secrets: dict) -> dict:
    """Put the secret values back into a copy of ``public``."""
    result = json.loads(json.dumps(public))
    for path, value in secrets.items():
        parts = path.strip("/").split("/")
        node = result
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(parts[-1])] = value
        else:
            node[parts[-1]] = value
    return result


def value_at(document, path: str):
    """The value at a ``/a/b`` path of ``document``, or None."""
    node = document
    for part in path.strip("/").split("/"):
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return node


def configure(keys: list[str] | None = None, key_file: str = DEFAULT_KEY_FILE) -> None:
    """Load the Fernet keys (``FLOWKER_SECRET_KEYS`` unless ``keys`` is given); without any,
    read or create ``key_file``. Raises ValueError for a malformed key."""
    global _cipher
    keys = keys if keys is not None else [k.strip() for k in os.environ.get("FLOWKER_SECRET_KEYS", "").split(",") if k.strip()]
    if not keys:
        path = Path(os.environ.get("FLOWKER_SECRET_KEY_FILE", key_file))
        if not path.exists():
            _create_key_file(path)
        keys = [path.read_text().strip()]
    try:
        cipher = MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ValueError("FLOWKER_SECRET_KEYS must hold url-safe base64 Fernet keys (32 bytes each)") from exc
    with _lock:
        _cipher = cipher


def _create_key_file(path: Path) -> None:
    """Write a new key atomically: processes starting together agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(Fernet.generate_key().decode())
    try:
        os.link(draft, path)  # fails if another process won the race
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)


def _get_cipher() -> MultiFernet:
    if _cipher is None:
        configure()
    return _cipher


def encrypt(secrets: dict) -> str | None:
    """Fernet token of the JSON of ``secrets`` (None when there are none)."""
    if not secrets:
        return None
    return _get_cipher().encrypt(json.dumps(secrets, separators=(",", ":")).encode()).decode()


def decrypt(token: str | None) -> dict:
    """Inverse of ``encrypt``. Raises SecretsError when no key fits."""
    if not token:
        return {}
    try:
        return json.loads(_get_cipher().decrypt(token.encode()))
    except InvalidToken:
        raise SecretsError("stored secrets cannot be decrypted with the configured FLOWKER_SECRET_KEYS") from None


def rotate(token: str | None) -> str | None:
    """Re-encrypt ``token`` with the newest key."""
    return _get_cipher().rotate(token.encode()).decode() if token else None


SEALED_PREFIX = "fernet:"


def seal(text: str) -> str:
    """A single secret string encrypted for storage inside a larger document (webhook
    tokens in a workflow definition): ``"fernet:<token>"``. Sealed values are left as they are."""
    if text.startswith(SEALED_PREFIX):
        return text
    return SEALED_PREFIX + _get_cipher().encrypt(text.encode()).decode()


def unseal(value: str) -> str:
    """Inverse of ``seal``; a value that was never sealed is returned as is. Raises SecretsError."""
    if not isinstance(value, str) or not value.startswith(SEALED_PREFIX):
        return value
    try:
        return _get_cipher().decrypt(value[len(SEALED_PREFIX):].encode()).decode()
    except InvalidToken:
        raise SecretsError("a stored webhook secret cannot be decrypted with the configured FLOWKER_SECRET_KEYS") from None
