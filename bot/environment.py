"""Reading the environment as people fill it: the one rule for a pasted value, and secrets
from files (``NAME_FILE``). :mod:`bot.config` reads its settings through these, each group of
them under its prefix (``SLACK_``, ``CHINAUMS_TEST_``, ...).

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
from collections.abc import Collection
from typing import Any, NamedTuple

from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
)


class Exact:
    """A setting's mark (in its ``Annotated`` type): its value is taken exactly as the
    provider or Slack issued it, so spaces or quotes around it are refused."""

    def __repr__(self) -> str:
        return "EXACT"


class FromFile(Exact):
    """A secret's mark: it may also come from a file named by ``NAME_FILE``, as Kubernetes and
    Docker mount them (SLACK_BOT_TOKEN_FILE=/run/secrets/slack-bot-token). Exact too."""

    def __repr__(self) -> str:
        return "FROM_FILE"


EXACT = Exact()
FROM_FILE = FromFile()
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


class Variable(NamedTuple):
    """A setting as the environment names it."""

    field: str  # the field's name in its settings class
    key: str  # its key in what a source reads and in what the caller gives: alias, else name
    name: str  # the environment variable, lowercased: its alias, else prefix and field name
    exact: bool  # marked EXACT (or FROM_FILE)
    from_file: bool  # marked FROM_FILE: NAME_FILE may give it


def variables(settings_cls: type[BaseSettings], prefix: str | None = None) -> list[Variable]:
    """The variables *settings_cls* reads under *prefix* (its own env_prefix when None). A
    field with an alias is read under that alone, as pydantic-settings does (PORT in the Slack
    group). Fields that are settings themselves are read on their own: they are left out."""
    if prefix is None:
        prefix = settings_cls.model_config.get("env_prefix", "")
    found = []
    for field, info in settings_cls.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseSettings):
            continue
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        key = alias or field
        marks = info.metadata
        exact = any(isinstance(mark, Exact) for mark in marks)
        from_file = any(isinstance(mark, FromFile) for mark in marks)
        name = (alias or prefix + field).lower()
        found.append(Variable(field, key, name, exact, from_file))
    return found


def _prefix(source: PydanticBaseSettingsSource) -> str:
    """The prefix an environment source reads under (given to the settings class's init as
    _env_prefix, or its env_prefix)."""
    return source.env_prefix if isinstance(source, EnvSettingsSource) else ""


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
        self._variables = {v.key: v for v in variables(inner.settings_cls, _prefix(inner))}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        _one_spelling_each(self._variables.values())
        values: dict[str, Any] = {}
        for key, raw in self._inner().items():
            variable = self._variables.get(key)
            # None: settings of their own, read under their own prefix. Given: the caller's
            # own value stands, this one is not used.
            if variable is None or key in self._given:
                continue
            value = raw
            if isinstance(raw, str):
                try:
                    value = as_pasted(raw, exact=variable.exact)
                except NotAsExpected as problem:
                    raise ConfigError(f"{variable.name.upper()}: {problem}") from None
                if not value:  # empty means unset: a NAME_FILE or the default then stands
                    continue
            values[key] = value
        return values


def _one_spelling_each(settings: Collection[Variable]) -> None:
    """ConfigError when a setting is set under two spellings (CHINAUMS_ENV and chinaums_env):
    which one wins would depend on the environment's order."""
    names = {v.name for v in settings} | {f"{v.name}_file" for v in settings if v.from_file}
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
    """``NAME_FILE`` for the secrets marked FROM_FILE: the value read from the file it names.
    ``NAME`` and ``NAME_FILE`` both set is refused, naming both."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        init: InitSettingsSource | None = None,
        *,
        prefix: str = "",
    ) -> None:
        super().__init__(settings_cls)
        self._given = _given(init)
        self._secrets = [v for v in variables(settings_cls, prefix) if v.from_file]

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is read at once, in __call__

    def __call__(self) -> dict[str, Any]:
        environ = {name.lower(): value for name, value in os.environ.items()}  # as Settings
        values: dict[str, Any] = {}
        for secret in self._secrets:
            if secret.key in self._given:  # the caller's own value stands: the file is not read
                continue
            variable = secret.name.upper()
            try:
                path = as_pasted(environ.get(f"{secret.name}_file", ""), exact=False)
            except NotAsExpected as problem:
                raise ConfigError(f"{variable}_FILE: {problem}") from None
            if not path:
                continue
            if environ.get(secret.name, "").removesuffix("\n").removesuffix("\r"):  # as pasted
                raise ConfigError(f"{variable} and {variable}_FILE are both set: keep one of them")
            values[secret.key] = read_secret_file(f"{variable}_FILE", path)
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
        files = SecretFiles(settings_cls, init, prefix=_prefix(env_settings))
        return init_settings, AsPasted(env_settings, init), files
