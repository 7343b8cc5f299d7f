"""Password hashing and checks."""

import hmac

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)
MIN_PASSWORD_LENGTH = 12


def hash_password(plain: str) -> str:
    if len(plain) < MIN_PASSWORD_LENGTH:
        raise ValueError("password too short")
    return _hasher.hash(plain)


def verify_password(stored: str, plain: str) -> bool:
    if stored.startswith("sha1$"):
        return _verify_legacy_sha1(stored, plain)
    try:
        return _hasher.verify(stored, plain)
    except VerifyMismatchError:
        return False


def _verify_legacy_sha1(stored: str, plain: str) -> bool:
    import hashlib

    _, salt, digest = stored.split("$")
    candidate = hashlib.sha1((salt + plain).encode()).hexdigest()
    return hmac.compare_digest(candidate, digest)


def needs_rehash(stored: str) -> bool:
    return stored.startswith("sha1$") or _hasher.check_needs_rehash(stored)
