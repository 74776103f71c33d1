"""Parameter specs: what a scheme accepts, its default and allowed range, and its validation.

The app builds its controls from these specs, so every bound and help text lives here once.
A bound may be a number or a function of (q_len, kv_len), since many ranges follow the
sequence lengths (a padding of more keys than exist means nothing).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

Bound = int | Callable[[int, int], int] | None

MAX_LEN = 65536  # longest q_len / kv_len the library accepts (a 65536^2 bool mask is 4 GiB)


@dataclass(frozen=True)
class Param:
    """One parameter of a scheme.

    kind is "int", "bool", "choice" (one of `choices`) or "ints" (a sequence of ints, each
    within the bounds: document lengths).
    """

    name: str
    kind: str
    default: object
    help: str
    min: Bound = None
    max: Bound = None
    choices: tuple[str, ...] = ()

    def bounds(self, q_len: int, kv_len: int) -> tuple[int | None, int | None]:
        """The allowed (min, max) for these lengths; None means unbounded."""
        return _resolve(self.min, q_len, kv_len), _resolve(self.max, q_len, kv_len)

    def allowed(self, q_len: int, kv_len: int) -> str:
        """The allowed values in words, for error messages and help text."""
        if self.kind == "bool":
            return "True or False"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        low, high = self.bounds(q_len, kv_len)
        what = "an integer" if self.kind == "int" else "a sequence of integers, each"
        if high is None:
            return f"{what} >= {low}"
        return f"{what} between {low} and {high}"

    def validate(self, value: object, q_len: int, kv_len: int, where: str) -> object:
        """Return the value in canonical form, or raise ValueError naming the problem."""

        def fail() -> ValueError:
            return ValueError(f"{where}: {self.name} must be {self.allowed(q_len, kv_len)} (got {value!r})")

        if self.kind == "bool":
            if not isinstance(value, bool):
                raise fail()
            return value
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise fail()
            return value
        if self.kind == "int":
            number = _as_int(value)
            if number is None or not self._in_bounds(number, q_len, kv_len):
                raise fail()
            return number
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise fail()
        numbers = tuple(_as_int(v) for v in value)
        if not numbers or any(n is None or not self._in_bounds(n, q_len, kv_len) for n in numbers):
            raise fail()
        return numbers

    def _in_bounds(self, number: int, q_len: int, kv_len: int) -> bool:
        low, high = self.bounds(q_len, kv_len)
        return (low is None or number >= low) and (high is None or number <= high)


def _resolve(bound: Bound, q_len: int, kv_len: int) -> int | None:
    return bound(q_len, kv_len) if callable(bound) else bound


def _as_int(value: object) -> int | None:
    """An int from int-like values (Python, NumPy or 0-d tensor ints), never from bool or str."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def check_length(name: str, value: object) -> int:
    """Validate a sequence length (q_len or kv_len)."""
    number = _as_int(value)
    if number is None or not 1 <= number <= MAX_LEN:
        raise ValueError(f"{name} must be an integer between 1 and {MAX_LEN} (got {value!r})")
    return number
