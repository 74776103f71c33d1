"""A class follows the lecturer through `make serve`: nginx, two replicas of the real app and the
redis-server that serve starts. The lecturer's session is on one replica, followers on both; each
follower draws each step as the step's own link draws it when opened alone. A follower that looked
around rejoins; Redis restarted mid-lecture and a killed replica leave the class following.

Slow (serve warms both replicas on every page first): one lecture, several checks along it."""

from __future__ import annotations

import asyncio
import contextlib
import re
from urllib.parse import parse_qsl

import psutil
import pytest

from app.lecture import rooms
from tests.follow.tab import Tab
from tests.serve.test_faults import cookie_for, serving
from tests.streamlit_client import run as in_own_thread

STEPS = [
    ("masks", "scheme=sliding_window&window=2"),
    ("attention", ""),
    ("masks", "slides=mask-schemes&step=2"),
    ("cross", ""),
    ("masks", "scheme=chunked"),
    ("block", ""),
]


def figures(charts: list[dict]) -> list:
    """What a person sees of each figure: its data and its title."""
    return [(chart["data"], chart["layout"].get("title")) for chart in charts]


def view(page: str, query: str) -> tuple[str, dict]:
    return page or "home", {k: v for k, v in parse_qsl(query, keep_blank_values=True) if k != "follow"}


async def moved(tab: Tab, address: tuple[str, str], timeout: float = 90.0, drawn=None):
    """The run that drew the step whose address bar is `address` (page, query): `drawn` (the run a click
    or a link started) or one after it."""
    async with asyncio.timeout(timeout):
        while drawn is None or not (drawn.charts and view(tab.page, tab.query) == view(*address)):
            drawn = await tab.drawn(timeout)
        return drawn


def the_store(served) -> rooms.RedisStore:
    """The Redis that serve started, read as the replicas read it."""
    (redis,) = [p for p in served.running() if "redis-server" in " ".join(p.cmdline())]
    port = re.search(r":(\d+)", " ".join(redis.cmdline()))[1]  # redis-server names itself HOST:PORT
    return rooms.RedisStore(f"redis://127.0.0.1:{port}/0")


async def stepped(store: rooms.RedisStore, code: str, after: int) -> rooms.Room:
    """The room once its version is past `after` (the lecturer's run published its step)."""
    async with asyncio.timeout(90):
        while True:
            with contextlib.suppress(rooms.StoreDown):
                room = await asyncio.to_thread(store.get, code)
                if room is not None and room.version > after:
                    return room
            await asyncio.sleep(0.1)


def until_gone(process: psutil.Process) -> None:
    process.wait(timeout=30)


async def lecture(base: str, replicas: list[str], served) -> None:
    a, b = replicas
    cookies = {address: cookie_for(base, address) for address in replicas}
    async with contextlib.AsyncExitStack() as stack:
        lecturer = await stack.enter_async_context(Tab(base, cookies[a]))
        followers = [await stack.enter_async_context(Tab(base, cookies[x])) for x in (a, a, b, b)]
        assert [f.replica.split(", ")[-1] for f in followers] == [a, a, b, b]
        drawn = await lecturer.open("masks")
        drawn = await lecturer.click("Share this view", drawn)
        drawn = await lecturer.click("Start a room", drawn)
        code = re.search(r"Room \*\*([A-Z]{6})\*\*", " ".join(drawn.texts))[1]
        store = the_store(served)
        version = store.get(code).version
        for follower in followers:
            await moved(follower, ("masks", ""), drawn=await follower.open("", f"follow={code}"))

        async def step(page: str, query: str, tabs: list[Tab]) -> tuple[str, str]:
            """The lecturer's step, and the address bar its link shows opened alone (Streamlit leaves out
            a bound control's value at its default): the followers' address, less `follow`."""
            nonlocal version, store
            await lecturer.open(page, query)
            room = await stepped(store, code, version)
            # one view, one step: a step published twice would cost every follower a second run
            assert version == 0 or room.version == version + 1, (room, version)
            version = room.version
            async with Tab(base) as alone:  # the step's own link, in a session of its own
                shown = await alone.open(room.page, room.query)
                address = (alone.page, alone.query)
            assert shown.exceptions == [] and len(shown.charts) > 0
            done = await asyncio.gather(*(moved(t, address) for t in tabs))
            for tab, drawn in zip(tabs, done, strict=True):
                assert drawn.exceptions == [] and figures(drawn.charts) == figures(shown.charts), (tab.query, room)
                assert any(f"Following room **{code}**" in text for text in drawn.texts)
                assert f"follow={code}" in tab.query  # a reload, or a replica lost, follows again
            return address

        for page, query in STEPS[:3]:
            await step(page, query, followers)

        # a follower looks around (Back in the browser: an earlier view): it stays there, then rejoins
        wanderer, others = followers[3], followers[:3]
        drawn = await wanderer.open("attention", f"follow={code}")
        assert any("You left the lecturer's view" in text for text in drawn.texts)
        address = await step(*STEPS[3], others)
        with pytest.raises(TimeoutError):  # not moved while away
            await moved(wanderer, address, timeout=3)
        await moved(wanderer, address, drawn=await wanderer.click("Back to the lecturer", drawn))

        # Redis killed mid-lecture: supervisord starts it again, empty; the leader puts the room back
        (redis,) = [p for p in served.running() if "redis-server" in " ".join(p.cmdline())]
        redis.kill()
        await asyncio.to_thread(lambda: until_gone(redis))
        version = 0  # Redis starts empty: the leader puts the room back, then steps it
        address = await step(*STEPS[4], followers)

        # a replica killed: its followers' tabs connect again (to the other) with their address, and follow
        served.replicas()[b].kill()
        reconnected = []
        for follower in followers[2:]:
            tab = await stack.enter_async_context(Tab(base, cookies[b]))
            await moved(tab, address, drawn=await tab.open(follower.page, follower.query))
            reconnected.append(tab)
        await step(*STEPS[5], followers[:2] + reconnected)


def test_a_class_follows_the_lecturer_across_replicas():
    with serving("--replicas", "2") as served:
        replicas = sorted(served.replicas())
        assert len(replicas) == 2
        in_own_thread(lecture(served.base, replicas, served))
