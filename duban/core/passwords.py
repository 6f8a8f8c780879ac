"""The password policy (``AUTH_PASSWORD_VALIDATORS``): Django's rules with Chinese messages, and 等保三级's
three of four character classes; the readable generated password; the hashers."""

from __future__ import annotations

import secrets
import string
import threading

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ValidationError


def _refuse(zh: str, en: str, code: str) -> ValidationError:
    """A broken rule: the message in Chinese (what pages show), its English in ``params["en"]`` (``english_of``)."""
    return ValidationError(zh, code=code, params={"en": en})


def english_of(error: ValidationError) -> str:
    """The English of one of these validators' refusals (the policy's name for any other's)."""
    return (error.params or {}).get("en") or "the password does not meet the policy"


# Django's own rules with their messages and help in Chinese (its zh-hans catalogue lacks the plural of the
# length rule, which showed in English) and an English twin for the API. Help texts are one short rule each, so
# the list under 密码要求 names every rule once.

class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def validate(self, password: str, user=None) -> None:
        if len(password) < self.min_length:
            raise _refuse(f"密码太短，至少需要{self.min_length}位", f"the password must have at least {self.min_length} "
                          "characters", "password_too_short")

    def get_help_text(self) -> str:
        return f"至少{self.min_length}位"


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def validate(self, password: str, user=None) -> None:
        try:
            super().validate(password, user)
        except ValidationError:
            raise _refuse("密码与账号、姓名或邮箱太相似", "the password is too similar to the username, name or email",
                          "password_too_similar") from None

    def get_help_text(self) -> str:
        return "不能与账号、姓名或邮箱相似"


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def validate(self, password: str, user=None) -> None:
        try:
            super().validate(password, user)
        except ValidationError:
            raise _refuse("这个密码太常见，容易被猜中", "the password is too common", "password_too_common") from None

    def get_help_text(self) -> str:
        return "不能是常见密码（如 123456、password）"


class CharacterClassValidator:
    """等保三级: at least three of four character classes, and not the username."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation or not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise _refuse("密码须包含大写字母、小写字母、数字、符号中的至少三类",
                          "the password needs at least three of: lower case, upper case, digits, symbols",
                          "password_classes")
        if user is not None and user.get_username() and user.get_username().lower() in password.lower():
            raise _refuse("密码不能包含账号", "the password must not contain the username", "password_has_username")

    def get_help_text(self) -> str:
        return "包含大写字母、小写字母、数字、符号中的至少三类，且不含账号"


# What a generated password is made of: lower-case letters and digits without those read alike on the phone
# (0/o, 1/l/i), in groups joined by "-", which is the third character class the policy asks for.
READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


def readable_password(groups: int = 3, size: int = 4) -> str:
    """A random password to be read out, e.g. ``k7fp-xm3q-rt9w`` (about 59 bits), with a letter and a digit."""
    while True:
        password = "-".join("".join(secrets.choice(READABLE) for _ in range(size)) for _ in range(groups))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    """argon2id with OWASP's recommended minimum (Password Storage Cheat Sheet): 19 MiB of memory, two passes, one
    lane. Django's own defaults (100 MiB, eight lanes) cost every sign-in about 100 MB of a worker's memory; these
    cost 19 MiB at the same algorithm. The algorithm name stays ``argon2``, so hashes made with other parameters
    are still checked by this class and, because their parameters differ, Django hashes the password again with
    these at the next successful sign-in."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
    # At most this many hashes at once in a process; the others wait their turn. A gunicorn worker has 4 threads:
    # four sign-ins at once would add 4 × 19 MiB to a worker already holding its page caches, and two hashes per
    # worker already keep both cores of a two-core server busy.
    at_once = threading.BoundedSemaphore(2)

    def encode(self, password, salt):
        with self.at_once:
            return super().encode(password, salt)

    def verify(self, password, encoded):
        with self.at_once:
            return super().verify(password, encoded)


class LightArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with tiny costs, for the test suite only (``duban/conftest.py``): the production parameters take
    19 MiB and tens of milliseconds per hash, which made user-heavy fixtures dominate the suite's time. Hashes stay
    argon2 hashes, so the tests still exercise the real algorithm."""

    time_cost = 1
    memory_cost = 256
    parallelism = 1
