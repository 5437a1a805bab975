"""Tiny shared argument checks for the public strategies (errors name arg and value)."""

from __future__ import annotations

from hypothesis.errors import InvalidArgument


def check_bounds(low_name: str, low: int, high_name: str, high: int, *, minimum: int = 0) -> None:
    for n, v in ((low_name, low), (high_name, high)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise InvalidArgument(f"{n}={v!r} must be an integer")
        if v < minimum:
            raise InvalidArgument(f"{n}={v!r} must be at least {minimum}")
    if low > high:
        raise InvalidArgument(f"{low_name}={low} is larger than {high_name}={high}")


def check_subset(name: str, values, allowed) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InvalidArgument(f"{name} has unknown value(s) {bad!r}; choose from {sorted(map(str, allowed))}")
    if not values:
        raise InvalidArgument(f"{name}={values!r} must not be empty")
