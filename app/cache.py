"""Caches shared by every session, bounded by bytes as well as by entries.

`st.cache_data` bounds a cache by entry count only (64 runs of the largest model would outgrow
this machine's memory) and copies every value out on each hit (a 100 MB run copied per rerun).
A `Bounded` cache keeps the least recently used values whose sizes add up to at most `max_bytes`,
hands out the cached object itself (callers must not modify it), and computes a missing value once
while other sessions asking for the same key wait for it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import json
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.utils import PlotlyJSONEncoder

MiB = 1024 * 1024


def nbytes(value, seen: set[int] | None = None) -> int:
    """Memory held by `value`: tensors and arrays by their buffers (a buffer shared by several
    views counted once), figures by their data, containers and dataclasses by their contents."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, torch.Tensor):
        storage = value.untyped_storage()
        if storage.data_ptr() in seen:
            return 0
        seen.add(storage.data_ptr())
        return storage.nbytes()
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, go.Figure):
        return len(figure_json(value))
    if isinstance(value, dict):
        return sum(nbytes(k, seen) + nbytes(v, seen) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return sum(nbytes(v, seen) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    if isinstance(value, torch.nn.Module):
        return sum(nbytes(t, seen) for t in (*value.parameters(), *value.buffers()))
    return sys.getsizeof(value)


class Turns:
    """Per key, one caller at a time: one session computes a value, the others asking for the same key
    meanwhile wait for it (and then find it made) instead of each computing it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._keys: dict[Hashable, threading.Lock] = {}

    @contextlib.contextmanager
    def turn(self, key: Hashable):
        with self._lock:
            key_lock = self._keys.setdefault(key, threading.Lock())
        with key_lock:
            try:
                yield
            finally:
                with self._lock:
                    self._keys.pop(key, None)


class Bounded:
    """Least recently used values, at most `max_entries` of them and `max_bytes` in all."""

    def __init__(self, name: str, max_bytes: int, max_entries: int):
        self.name, self.max_bytes, self.max_entries = name, max_bytes, max_entries
        self._values: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._turns = Turns()

    @property
    def bytes(self) -> int:
        with self._lock:
            return sum(size for _, size in self._values.values())

    def __len__(self) -> int:
        return len(self._values)

    def _hit(self, key: Hashable):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return True, self._values[key][0]
            return False, None

    def get(self, key: Hashable, compute: Callable[[], object]):
        found, value = self._hit(key)
        if found:
            return value
        with self._turns.turn(key):
            found, value = self._hit(key)
            if found:
                return value
            value = compute()
            self._keep(key, value, nbytes(value))
            return value

    def clear(self) -> None:
        """Drop every value, as eviction drops the oldest."""
        with self._lock:
            self._values.clear()

    def _keep(self, key: Hashable, value, size: int) -> None:
        if size > self.max_bytes:
            return  # larger than the whole cache: used once, never kept
        with self._lock:
            self._values[key] = (value, size)
            total = sum(s for _, s in self._values.values())
            while total > self.max_bytes or len(self._values) > self.max_entries:
                _, (_, dropped) = self._values.popitem(last=False)
                total -= dropped


# A run's memory grows with the attention cells it computes (B x H x T x T per layer). Runs above
# LARGE_RUN take turns, one at a time per process: ten students opening ten of the largest links at
# once then cost the server one such run's memory at a time, not ten (tests/bench/results/hostile.md).
LARGE_RUN = 4_000_000  # attention cells of one forward pass, all layers (a 256-token sentence on MiniLM: 4.7M)
_large_runs = threading.RLock()  # re-entrant: a page's large section may call a large run


@contextlib.contextmanager
def in_turn(cells: int):
    """Around a forward pass computing `cells` attention cells: a large one waits for the one before."""
    with _large_runs if cells > LARGE_RUN else contextlib.nullcontext():
        yield


CACHES: dict[str, Bounded] = {}
_registry_lock = threading.Lock()


def bounded(max_bytes: int, max_entries: int = 64):
    """Decorator: cache the function's results in a `Bounded` cache named after the function.

    The key is the call's arguments, except those whose names start with "_" (as in Streamlit:
    objects the other arguments identify). The cache lives here, by the function's module and name,
    so every run and every session shares it."""

    def decorate(function):
        # the file's name: two pages' functions may share a name (`run`)
        name = f"{Path(function.__code__.co_filename).stem}.{function.__qualname__}"
        with _registry_lock:
            cache = CACHES.setdefault(name, Bounded(name, max_bytes, max_entries))
        signature = inspect.signature(function)

        def cached(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            key = tuple((k, v) for k, v in bound.arguments.items() if not k.startswith("_"))
            return cache.get(key, lambda: function(*args, **kwargs))

        cached.cache = cache
        cached.__wrapped__ = function
        cached.__doc__ = function.__doc__
        return cached

    return decorate


_MISSING = object()
_DERIVED: dict[int, OrderedDict] = {}  # id of an object -> values derived from it, while it lives
_DERIVED_LOCK = threading.Lock()
_DERIVED_TURNS = Turns()
DERIVED_PER_OWNER = 8  # views kept per owner (a head figure of a long input is megabytes of hover text)


def derived(owner: object, key: Hashable, build: Callable[[], object]):
    """`build()`, made once per (owner, key) and kept as long as `owner` lives, the last
    DERIVED_PER_OWNER keys of it: for what is drawn from a value a shared cache hands out (its
    figures, their restyled copies), so sessions showing the same view share that work too. Keyed by
    identity (the owner need not be hashable); the caller must not modify what it gets."""
    value = _derived_hit(owner, key)
    if value is not _MISSING:
        return value
    with _DERIVED_TURNS.turn((id(owner), key)):  # a class stepping to one view at once draws it once
        value = _derived_hit(owner, key)
        if value is not _MISSING:
            return value
        with _DERIVED_LOCK:
            values = _DERIVED.get(id(owner))
            if values is None:
                values = _DERIVED[id(owner)] = OrderedDict()
                weakref.finalize(owner, _DERIVED.pop, id(owner), None)
        value = values[key] = build()
        with _DERIVED_LOCK:
            while len(values) > DERIVED_PER_OWNER:
                values.popitem(last=False)
        return value


def _derived_hit(owner: object, key: Hashable):
    values = _DERIVED.get(id(owner), {})
    value = values.get(key, _MISSING)
    if value is not _MISSING:
        # the check and the move are two steps: another session's eviction may come between
        with contextlib.suppress(KeyError):
            values.move_to_end(key)
    return value


def figure_json(fig: go.Figure) -> bytes:
    """The figure as the browser gets it (JSON, arrays as Plotly's typed arrays in base64), made once
    while the figure lives: the cache measures a figure by it, and the figure element sends it
    (app/figure_element.py)."""
    return derived(
        fig, "json", lambda: json.dumps(fig.to_dict(), cls=PlotlyJSONEncoder, separators=(",", ":")).encode()
    )
