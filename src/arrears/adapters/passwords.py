"""Argon2id password hashing (argon2-cffi, with its recommended parameters)."""

from __future__ import annotations

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Hasher:
    """Hashes with argon2-cffi's recommended parameters unless others are given; a hash carries its
    own parameters, so a check reads them from the hash whatever this hasher was made with."""

    def __init__(self, parameters: Parameters | None = None) -> None:
        self._hasher = PasswordHasher() if parameters is None else PasswordHasher.from_parameters(parameters)

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(password))

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
