"""A bad setting as one line: the environment variable's name, then what was expected. What
was typed is not echoed: a secret pasted into the wrong variable stays unseen."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from bot.config.gateway import GATEWAY_EXPECTED
from bot.config.groups import SLACK_EXPECTED
from bot.config.types import EXPECTED
from bot.environment import variables

# What a variable holds, in its own words, where its type's check cannot say (one gateway
# model reads three gateways' variables).
_EXPECTED = GATEWAY_EXPECTED | SLACK_EXPECTED
_BOUNDS = {"gt": "more than {}", "ge": "at least {}", "lt": "less than {}", "le": "at most {}"}
_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def one_line(error: ValidationError, group: type[BaseSettings], prefix: str | None) -> str:
    """The first of *error*'s problems, naming the variable (*group* read under *prefix*,
    None: its own)."""
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:
        return message  # the group's own checks already name their variable
    setting = {v.key: v for v in variables(group, prefix)}.get(str(first["loc"][0]))
    if setting is None:  # a group's part, read on its own, given wrong: no variable to name
        return f"{group.__name__}.{first['loc'][0]}: {message}"
    field = group.model_fields[setting.field]
    variable, got, kind = setting.name.upper(), first.get("input"), first["type"]
    ctx = first.get("ctx") or {}
    if kind == EXPECTED:
        return f"{variable}: expected {_EXPECTED.get(variable, ctx['what'])}{ctx['tail']}"
    if kind in _RANGE:
        return f"{variable}: expected {_bounds(field.metadata)}, such as {field.default:g}"
    if kind == "finite_number":  # only Seconds are finite numbers
        span = "-".join(_limits(field.metadata).values())
        return f"{variable}: expected a finite number of seconds ({span}), got {got}"
    if kind == "string_too_long" and isinstance(got, str):
        return f"{variable}: expected at most {ctx.get('max_length')} characters, got {len(got)}"
    if kind in {"float_parsing", "int_parsing", "int_from_float"}:
        number = "a whole number" if field.annotation is int else "a number"
        return f"{variable}: expected {number}, such as {field.default:g}"
    return f"{variable}: {message.replace('Input should be ', 'expected ')}"


def _limits(metadata: list[object]) -> dict[str, str]:
    """A field's bounds, by kind ("gt": "0"), in the order more-than, at-least, less, at-most."""
    return {
        bound: _number(getattr(limit, bound))
        for limit in metadata
        for bound in _BOUNDS
        if getattr(limit, bound, None) is not None
    }


def _bounds(metadata: list[object]) -> str:
    return " and ".join(_BOUNDS[bound].format(text) for bound, text in _limits(metadata).items())


def _number(value: float) -> str:
    """A bound as people write it: 1000000, not 1e+06; 0.25 as itself."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
