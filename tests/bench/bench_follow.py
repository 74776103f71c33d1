"""A class follows its lecturer on `make serve REPLICAS=2`: 150 students' sessions follow a room,
through Streamlit's websocket protocol (tests/follow/tab.py), behind serve's nginx, with serve's Redis.

Measured, in one run:
- a step: from the lecturer's Next (the lecturer's run of the next slide's link is sent) to each
  follower's run of that step finished (`script_finished`, the step's figures drawn), for each step
  of the shipped deck's first slides; p50, p95 and the last follower;
- idle cost: the server's CPU time (both replicas, Redis, nginx) over IDLE_SECONDS with the 150
  followers connected and nothing moving, against 150 sessions of the same link that follow no room,
  connected and idle as long, just before; per session per idle minute (and the server with no
  session at all, first).

Run with `python -m tests.bench.bench_follow [--students 150]` (part of `make bench`). Writes
tests/bench/results/follow.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import time
from urllib.parse import parse_qsl, urlencode

import psutil

from app.lecture import slides
from tests.bench.bench_hall import serving_replicas
from tests.bench.common import machine, write_result
from tests.follow.tab import Tab

STEPS = 6  # the deck's first slides: Masks, then the Attention page and back
IDLE_SECONDS = 60
JOINING = 25  # sessions opening at once while the class arrives (a hall does not arrive in one instant)


def step_query(deck: slides.Deck, k: int) -> str:
    return urlencode(deck.query("mask-schemes", k))


def view(page: str, query: str) -> tuple[str, dict]:
    return page or "home", {k: v for k, v in parse_qsl(query, keep_blank_values=True) if k != "follow"}


class Student:
    """A follower's tab and the time each view it drew was finished."""

    def __init__(self, tab: Tab):
        self.tab, self.drawn, self.changed = tab, [], asyncio.Event()

    async def watch(self) -> None:
        with contextlib.suppress(Exception):  # the tab closed at the end
            while True:
                drawn = await self.tab.drawn(timeout=3600)
                if drawn.charts:
                    self.drawn.append((time.perf_counter(), view(self.tab.page, self.tab.query), drawn.exceptions))
                    self.changed.set()

    async def at(self, wanted: tuple[str, dict], since: float, timeout: float = 60) -> float:
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for when, seen, exceptions in self.drawn:
                        if when >= since and seen == wanted:
                            assert not exceptions, exceptions
                            return when - since
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            last = self.drawn[-1][1] if self.drawn else None
            raise TimeoutError(f"a follower did not draw {wanted} within {timeout} s; its last view: {last}") from None


def server_processes(serve_pid: int) -> list[psutil.Process]:
    """What serve runs (replicas, Redis, nginx, supervisord), found by its session."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getsid(process.pid) == serve_pid and process.pid != serve_pid:
                found.append(process)
    return found


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


async def idle_cost(processes: list[psutil.Process], sessions: int) -> float:
    """CPU seconds the server spends per session per minute while `sessions` sessions sit idle."""
    before = cpu_seconds(processes)
    await asyncio.sleep(IDLE_SECONDS)  # the quantity measured is what idling for this long costs
    return (cpu_seconds(processes) - before) / sessions / (IDLE_SECONDS / 60)


async def opened(base: str, n: int, page: str, query: str) -> list[Tab]:
    """`n` new browsers' tabs, each having opened the link, JOINING at a time."""
    gate = asyncio.Semaphore(JOINING)

    async def one() -> Tab:
        async with gate:
            tab = Tab(base, keep=False)  # figures counted, not decoded: the client shares the cores
            await tab.__aenter__()
            drawn = await tab.open(page, query)
            while not drawn.charts:  # a follower's first run hands over to its move
                drawn = await tab.drawn()
            return tab

    return await asyncio.gather(*(one() for _ in range(n)))


async def lecture(base: str, students: int, processes: list[psutil.Process]) -> dict:
    deck = slides.shipped_deck("mask-schemes")
    first = deck.slides[0]
    first_query = step_query(deck, 0)
    shown = []  # every step once, untimed (both measures start warm): its view as the address bar shows it
    for k in range(STEPS + 1):
        async with Tab(base, keep=False) as alone:
            await alone.open(deck.slides[k].page, step_query(deck, k))
            shown.append(view(alone.page, alone.query))
    floor = await idle_cost(processes, 1)  # the server with no session at all: its own ticks
    # the baseline: as many sessions of the same link, following nobody, idle; then each student
    # clicks Next themselves, all at the same moment (the framework's floor for the same runs)
    plain = await opened(base, students, first.page, first_query)
    idle_plain = await idle_cost(processes, students)
    clicked = []
    for k in range(1, STEPS + 1):
        since = time.perf_counter()

        async def next_slide(tab: Tab, k: int = k) -> float:
            await tab.open(deck.slides[k].page, step_query(deck, k))
            return time.perf_counter() - since

        clicked.append((k + 1, deck.slides[k].page, sorted(await asyncio.gather(*(next_slide(t) for t in plain)))))
    for tab in plain:
        await tab.__aexit__(None, None, None)

    async with Tab(base) as lecturer:
        drawn = await lecturer.open(first.page, first_query)
        drawn = await lecturer.click("Share this view", drawn)
        drawn = await lecturer.click("Start a room", drawn)
        code = re.search(r"Room \*\*([A-Z]{6})\*\*", " ".join(drawn.texts))[1]
        joined = time.perf_counter()
        tabs = await opened(base, students, "", f"follow={code}")
        joining = time.perf_counter() - joined
        class_ = [Student(tab) for tab in tabs]
        watchers = [asyncio.create_task(student.watch()) for student in class_]
        steps = []
        for k in range(1, STEPS + 1):
            slide = deck.slides[k]
            since = time.perf_counter()
            await lecturer.open(slide.page, step_query(deck, k))  # the lecturer's Next: the next slide, in the tab
            leading = time.perf_counter() - since  # the lecturer's own run of the step
            times = sorted(await asyncio.gather(*(s.at(shown[k], since) for s in class_)))
            steps.append((k + 1, slide.page, times, leading))
        idle_following = await idle_cost(processes, students)
        for task in watchers:
            task.cancel()
        for tab in tabs:
            await tab.__aexit__(None, None, None)
    return {
        "steps": steps,
        "clicked": clicked,
        "floor": floor,
        "idle_plain": idle_plain,
        "idle_following": idle_following,
        "joining": joining,
    }


def p95(times: list[float]) -> float:
    return times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def report(result: dict, students: int, replicas: int, command: str) -> str:
    clicked = {step: times for step, _, times in result["clicked"]}
    rows = [
        f"| {step} | {page} | {students} | {leading:.2f} | {statistics.median(t):.2f} | {p95(t):.2f} | {t[-1]:.2f} "
        f"| {p95(clicked[step]):.2f} | {p95(t) / p95(clicked[step]):.2f} |"
        for step, page, t, leading in result["steps"]
    ]
    every = sorted(t for _, _, times, _ in result["steps"] for t in times)
    every_clicked = sorted(t for times in clicked.values() for t in times)
    plain, following = result["idle_plain"], result["idle_following"]
    ratio = f"{following / plain:.2f}" if plain > 0 else "n/a"
    return "\n".join(
        [
            f"# A class follows its lecturer: {students} followers on `make serve REPLICAS={replicas}`",
            "",
            f"Machine: {machine()}, {psutil.cpu_count()} cores. Command: `{command}`.",
            "Each follower is a session of its own through serve's nginx (a new browser: its replica by "
            "nginx's cookie), speaking Streamlit's websocket protocol (tests/follow/tab.py); the lecturer "
            "is one more. Rooms in serve's redis-server. A step is timed from the moment the lecturer's "
            "run of the next slide's link is sent (the lecturer's Next) to each follower's run of that "
            "step finished (`script_finished`, its figures sent). A deck's step is published as the "
            "lecturer's run of it begins: the followers' runs go alongside the lecturer's own (its time "
            "in its own column).",
            "",
            "Baseline, the same run: as many sessions following nobody, each sending the same step's link "
            "itself at the same moment (every student clicks Next at once), timed to its `script_finished`.",
            "",
            "| slide | page | followers | lecturer's run s | p50 s | p95 s | last s | baseline p95 s "
            "| p95 / baseline |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            f"| every step | | {students} | | {statistics.median(every):.2f} | {p95(every):.2f} | {every[-1]:.2f} "
            f"| {p95(every_clicked):.2f} | {p95(every) / p95(every_clicked):.2f} |",
            "",
            f"The class joining (each opens the follow link, {JOINING} at a time): {result['joining']:.1f} s for all.",
            "",
            f"Idle cost, the server's CPU (replicas, Redis, nginx, supervisord) over {IDLE_SECONDS} s, per "
            "session per idle minute:",
            "",
            "| sessions | CPU ms per session per idle minute |",
            "|---|---|",
            f"| none (the server alone, its CPU ms per minute) | {result['floor'] * 1000:.2f} |",
            f"| {students} sessions of the same link, following nobody | {plain * 1000:.2f} |",
            f"| {students} followers of a room | {following * 1000:.2f} |",
            f"| followers / not following | {ratio} |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=150)
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args()
    command = "python -m tests.bench.bench_follow" + (f" --students {args.students}" if args.students != 150 else "")
    with serving_replicas(args.replicas) as (base, _):
        serve_pid = next(
            p.pid
            for p in psutil.process_iter(["cmdline"])
            if p.info["cmdline"] and f"--port {base.rsplit(':', 1)[1]}" in " ".join(p.info["cmdline"])
        )
        processes = server_processes(serve_pid)
        result = asyncio.run(lecture(base, args.students, processes))
    text = report(result, args.students, args.replicas, command)
    print(text)
    print(f"written to {write_result('follow.md', text)}")


if __name__ == "__main__":
    main()
