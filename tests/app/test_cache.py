"""The byte-bounded cache every session shares: what it keeps, what it drops, who computes."""

from __future__ import annotations

import sys
import threading
import time

import pytest
import torch

from app.cache import Bounded, MiB, bounded, nbytes


def test_sizes_count_buffers_once_and_look_inside_containers():
    big = torch.zeros(1024, 1024)  # 4 MiB
    assert nbytes(big) == 4 * MiB
    assert nbytes((big, big[0], [big.T])) == 4 * MiB  # views share one buffer
    assert nbytes({"a": torch.zeros(256, dtype=torch.bool), "b": (torch.zeros(10),)}) >= 256 + 40


def test_the_least_recently_used_values_go_first_once_the_bytes_are_spent():
    cache = Bounded("test", max_bytes=10 * MiB, max_entries=100)
    make = lambda: torch.zeros(MiB, dtype=torch.uint8)  # noqa: E731  (1 MiB each)
    for k in range(10):
        cache.get(k, make)
    cache.get(0, make)  # 0 is used again: 1 is now the oldest
    cache.get(10, make)
    assert cache.bytes <= 10 * MiB and len(cache) == 10
    calls = []
    cache.get(0, lambda: calls.append(0))
    cache.get(1, lambda: calls.append(1) or make())
    assert calls == [1]  # 0 was kept, 1 was dropped and computed again


def test_entries_are_bounded_too_and_a_value_larger_than_the_cache_is_never_kept():
    cache = Bounded("test", max_bytes=MiB, max_entries=3)
    for k in range(5):
        cache.get(k, lambda: k)
    assert len(cache) == 3
    cache.get("huge", lambda: torch.zeros(2 * MiB, dtype=torch.uint8))
    assert len(cache) == 3 and cache.bytes < MiB


def waiting_in(thread: threading.Thread, function) -> bool:
    """`thread` is inside `function` (its frame is on the thread's stack): blocked there, or about to be."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code is function.__code__:
            return True
        frame = frame.f_back
    return False


def wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def test_sessions_asking_at_once_for_one_key_compute_it_once():
    cache = Bounded("test", max_bytes=MiB, max_entries=10)
    calls, results = [], []
    others = [threading.Thread(target=lambda: results.append(cache.get("key", slow))) for _ in range(7)]

    def slow():
        calls.append(1)
        for thread in others:
            thread.start()
        # every other session asks while this one computes
        assert wait_until(lambda: all(waiting_in(t, Bounded.get) for t in others))
        return "value"

    results.append(cache.get("key", slow))
    for thread in others:
        thread.join()
    assert calls == [1] and results == ["value"] * 8


def test_a_failed_computation_is_not_kept_and_the_next_caller_tries_again():
    cache = Bounded("test", max_bytes=MiB, max_entries=10)

    def fail():
        raise InterruptedError("the tab closed")

    with pytest.raises(InterruptedError):
        cache.get("key", fail)
    assert cache.get("key", lambda: 42) == 42


def test_the_decorator_keys_on_the_arguments_except_those_named_with_an_underscore():
    calls = []

    @bounded(max_bytes=MiB)
    def run(model_key: str, _model: object) -> str:
        calls.append(model_key)
        return f"{model_key} by {_model}"

    assert run("a", "first object") == "a by first object"
    assert run("a", "another object") == "a by first object"  # the key names the model, not the object
    assert run("b", "x") == "b by x" and calls == ["a", "b"]


def test_a_derived_value_is_built_once_per_owner_and_key_and_goes_with_its_owner():
    import gc
    import weakref

    from app.cache import DERIVED_PER_OWNER, derived

    class Run:  # what a shared cache hands out
        pass

    class Figure:  # what a page draws from it
        def __init__(self, name):
            self.name = name

    run, built = Run(), []

    def build(name):
        return lambda: built.append(name) or Figure(name)

    first = derived(run, "grid", build("grid"))
    assert derived(run, "grid", build("grid")) is first and built == ["grid"]  # shared, not rebuilt
    assert derived(Run(), "grid", build("other")).name == "other"  # another run: its own figure
    for k in range(DERIVED_PER_OWNER):  # many views of one run: the oldest goes
        derived(run, k, build(k))
    assert derived(run, "grid", build("grid again")).name == "grid again"
    kept = weakref.ref(derived(run, "kept", build("kept")))
    del run, first
    gc.collect()
    assert kept() is None  # gone with its run: the run cache's bound bounds these too


def test_sessions_asking_at_once_for_one_derived_value_build_it_once():
    """A class stepping to a new view at once (following the lecturer): one session draws the view's
    figures, the others wait for them, instead of each drawing them all."""
    from app.cache import Turns, derived

    class Run:
        pass

    waiting = {derived.__code__, Turns.turn.__wrapped__.__code__}  # blocked on the view's turn
    run, calls, results, first_done = Run(), [], [], threading.Event()
    others = [
        threading.Thread(target=lambda: results.append(derived(run, "view", slow)), daemon=True) for _ in range(7)
    ]

    def slow():
        calls.append(threading.current_thread())
        if len(calls) == 1:
            for thread in others:
                thread.start()
            # each other session either waits in derived for this build or builds the view itself
            assert wait_until(lambda: len(calls) > 1 or all(innermost(t) in waiting for t in others))
        else:
            first_done.wait(timeout=10)
        return "figure"

    results.append(derived(run, "view", slow))
    first_done.set()
    for thread in others:
        thread.join()
    assert len(calls) == 1 and results == ["figure"] * 8


def innermost(thread: threading.Thread):
    frame = sys._current_frames().get(thread.ident)
    return frame.f_code if frame is not None else None


def test_large_runs_take_turns_and_small_ones_do_not_wait():
    """Ten students opening ten of the largest links at once: their runs go one at a time (the memory
    of one run, not ten); small runs go together (a barrier only passes when all four are inside)."""
    from app.cache import LARGE_RUN, in_turn

    inside, most = [0], [0]
    lock = threading.Lock()

    def large():
        with in_turn(LARGE_RUN + 1):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            # the others at the door (or done) before this one leaves: were they let in, they would be here
            wait_until(lambda: all(at_door_or_done(t) for t in threads if t is not threading.current_thread()))
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=large) for _ in range(6)]

    def at_door_or_done(thread: threading.Thread) -> bool:
        return thread.ident is not None and (waiting_in(thread, in_turn.__wrapped__) or not thread.is_alive())

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    together = threading.Barrier(4, timeout=10)

    def small():
        with in_turn(LARGE_RUN):
            together.wait()  # raises BrokenBarrierError if the four cannot be inside at once

    threads = [threading.Thread(target=small) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not together.broken
    with in_turn(LARGE_RUN + 1), in_turn(LARGE_RUN + 1):  # a large section may hold a large run
        pass
