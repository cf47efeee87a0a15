"""Reading the environment as people fill it: the one rule for a pasted value, and secrets
from files (``NAME_FILE``). :mod:`bot.config` reads its settings through these.

The rule, for every variable and every ``_FILE``: one trailing line break is not part of
the value (``echo``, ``kubectl create secret --from-file`` and editors leave one); any other
control character is refused. An id, key, token or secret is also refused when spaces or
quotes surround it: none has them, and the gateway or Slack would refuse every request.
Refusals name the variable (and the file) and never echo the value.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource

# The secrets that may also come from a file, as Kubernetes and Docker mount them:
# SLACK_BOT_TOKEN_FILE=/run/secrets/slack-bot-token, and so on.
SECRET_FILES = (
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "chinaums_app_key",
    "chinaums_test_app_key",
    "chinaums_prod_app_key",
    "qrinfo_redis_url",
)
# Values taken exactly as the provider or Slack issued them: no spaces or quotes around.
EXACT = frozenset(
    {*SECRET_FILES, "chinaums_app_id", "chinaums_test_app_id", "chinaums_prod_app_id"}
)
_FILE_MAX_BYTES = 64 * 1024  # a token is under 100 bytes; a device is never read whole
_CONTROL_NAMES = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab"}
# Spaces, line breaks and invisible format characters (U+200B, a byte-order mark, ...).
BLANK_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
_QUOTES = ('"', "'", "“", "”", "‘", "’")  # a word processor's quotes too


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable."""


class NotAsExpected(ValueError):
    """What is wrong with a pasted value, as a phrase ("holds a tab at character 3")."""


def as_pasted(text: str, *, exact: bool) -> str:
    """*text* less one trailing line break ("\\n" or "\\r\\n"); NotAsExpected if anything
    else is off."""
    if text.endswith("\n"):
        text = text[:-1].removesuffix("\r")
    if exact and all(unicodedata.category(char) in BLANK_CATEGORIES for char in text):
        return text  # nothing but blanks: the setting's own check says so, in its words
    for i, char in enumerate(text, 1):
        if unicodedata.category(char) == "Cc":
            what = _CONTROL_NAMES.get(char, f"the control character U+{ord(char):04X}")
            raise NotAsExpected(f"holds {what} at character {i}; expected the value on one line")
    if not exact or not text:
        return text
    if len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES:
        raise NotAsExpected("is wrapped in quotes; set the value without them")
    if text[0] in _QUOTES or text[-1] in _QUOTES:  # one of a pair lost in editing
        raise NotAsExpected("begins or ends with a quote; set the value without quotes")
    for char in (text[0], text[-1]):
        if unicodedata.category(char) in BLANK_CATEGORIES:
            code = "" if char == " " else f" (U+{ord(char):04X})"
            kind = "a space" if unicodedata.category(char) == "Zs" else "an invisible character"
            what = kind + code
            raise NotAsExpected(
                f"begins or ends with {what}; set the value without anything around it"
            )
    return text


def _given(init: InitSettingsSource | None) -> frozenset[str]:
    """The settings the caller passed itself: their variables are not read at all."""
    return frozenset(init.init_kwargs) if init is not None else frozenset()


class AsPasted(PydanticBaseSettingsSource):
    """Another source's values (the environment's), each through :func:`as_pasted`; none of
    the settings *init* (the caller's own values) gives."""

    def __init__(
        self, inner: PydanticBaseSettingsSource, init: InitSettingsSource | None = None
    ) -> None:
        super().__init__(inner.settings_cls)
        self._inner = inner
        self._given = _given(init)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        _one_spelling_each(self.settings_cls)
        values: dict[str, Any] = {}
        for name, raw in self._inner().items():
            if name in self._given:  # the caller's own value stands: this one is not used
                continue
            value = raw
            if isinstance(raw, str):
                try:
                    value = as_pasted(raw, exact=name in EXACT)
                except NotAsExpected as problem:
                    raise ConfigError(f"{name.upper()}: {problem}") from None
                if not value:  # empty means unset: a NAME_FILE or the default then stands
                    continue
            values[name] = value
        return values


def _one_spelling_each(settings_cls: type[BaseSettings]) -> None:
    """ConfigError when a setting is set under two spellings (CHINAUMS_ENV and chinaums_env):
    which one wins would depend on the environment's order."""
    names = {*settings_cls.model_fields, *(f"{field}_file" for field in SECRET_FILES)}
    seen: dict[str, str] = {}
    for variable in os.environ:
        name = variable.lower()
        if name not in names:
            continue
        if name in seen and seen[name] != variable:
            raise ConfigError(
                f"{name.upper()} is set twice, as {seen[name]} and {variable}: keep one of them"
            )
        seen[name] = variable


def read_secret_file(variable: str, path: str) -> str:
    """The secret in the file *path* names (*variable* is the ``_FILE`` variable, for the
    message), by the rule above. ConfigError, naming *variable* and the path, when it cannot
    be had. A value that is no absolute path is not shown: it may be the secret itself,
    pasted into the ``_FILE`` variable."""
    shown = path if path.startswith("/") and "://" not in path else "the path it holds"
    try:
        data = _read_regular_file(path)
    except IsADirectoryError:
        raise ConfigError(
            f"{variable}: {shown} is a directory; expected the file holding the secret"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{variable}: cannot read {shown}: {exc.strerror or exc}") from None
    if data is None:
        raise ConfigError(f"{variable}: {shown} is not a regular file (a pipe, a device)")
    if len(data) > _FILE_MAX_BYTES:
        raise ConfigError(f"{variable}: {shown} holds more than 64 KiB; expected one secret")
    try:
        text = as_pasted(data.decode("utf-8"), exact=True)
    except UnicodeDecodeError:
        raise ConfigError(f"{variable}: {shown} is not UTF-8 text") from None
    except NotAsExpected as problem:
        raise ConfigError(f"{variable}: {shown} {problem}") from None
    if not text:
        raise ConfigError(f"{variable}: {shown} is empty; expected the secret")
    return text


def _read_regular_file(path: str) -> bytes | None:
    """At most 64 KiB and a byte of *path*; None when it is not a regular file. Opened without
    blocking: a FIFO nobody writes to must not hang the start."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            return None
        chunks, size = [], 0
        while size <= _FILE_MAX_BYTES and (chunk := os.read(fd, _FILE_MAX_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class SecretFiles(PydanticBaseSettingsSource):
    """``NAME_FILE`` for the secrets of :data:`SECRET_FILES`: the value read from the file it
    names. ``NAME`` and ``NAME_FILE`` both set is refused, naming both."""

    def __init__(
        self, settings_cls: type[BaseSettings], init: InitSettingsSource | None = None
    ) -> None:
        super().__init__(settings_cls)
        self._given = _given(init)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is read at once, in __call__

    def __call__(self) -> dict[str, Any]:
        environ = {name.lower(): value for name, value in os.environ.items()}  # as Settings
        values: dict[str, Any] = {}
        for field in SECRET_FILES:
            if (
                field not in self.settings_cls.model_fields or field in self._given
            ):  # the caller's own value stands: the file is not read
                continue
            variable = field.upper()
            try:
                path = as_pasted(environ.get(f"{field}_file", ""), exact=False)
            except NotAsExpected as problem:
                raise ConfigError(f"{variable}_FILE: {problem}") from None
            if not path:
                continue
            if environ.get(field, "").removesuffix("\n").removesuffix("\r"):  # as pasted
                raise ConfigError(f"{variable} and {variable}_FILE are both set: keep one of them")
            values[field] = read_secret_file(f"{variable}_FILE", path)
        return values


class FromEnvironment(BaseSettings):
    """Settings read from the environment by the one rule, and secrets from their files.
    The caller's own values come first; a NAME_FILE never silently loses to NAME (both set
    is refused)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init = init_settings if isinstance(init_settings, InitSettingsSource) else None
        return init_settings, AsPasted(env_settings, init), SecretFiles(settings_cls, init)
