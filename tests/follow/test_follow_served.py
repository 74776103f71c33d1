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
from tests.streamlit_client import open_page
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


async def moved(tab: Tab, room: tuple[str, str], timeout: float = 90.0, drawn=None):
    """The run that drew the room's step: `drawn` (the run a click or a link started) or one after it."""
    async with asyncio.timeout(timeout):
        while drawn is None or not (drawn.charts and view(tab.page, tab.query) == view(*room)):
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

        async def step(page: str, query: str, tabs: list[Tab]) -> rooms.Room:
            nonlocal version, store
            await lecturer.open(page, query)
            room = await stepped(store, code, version)
            version = room.version
            done = await asyncio.gather(*(moved(t, (room.page, room.query)) for t in tabs))
            alone = await open_page(base, room.page, room.query)  # the step's own link, in a session of its own
            assert alone.exceptions == []
            for tab, drawn in zip(tabs, done, strict=True):
                assert drawn.exceptions == [] and figures(drawn.charts) == figures(alone.charts), (tab.query, room)
                assert any(f"Following room **{code}**" in text for text in drawn.texts)
                assert f"follow={code}" in tab.query  # a reload, or a replica lost, follows again
            assert len(alone.charts) > 0
            return room

        for page, query in STEPS[:3]:
            await step(page, query, followers)

        # a follower looks around (Back in the browser: an earlier view): it stays there, then rejoins
        wanderer, others = followers[3], followers[:3]
        drawn = await wanderer.open("attention", f"follow={code}")
        assert any("You left the lecturer's view" in text for text in drawn.texts)
        room = await step(*STEPS[3], others)
        with pytest.raises(TimeoutError):  # not moved while away
            await moved(wanderer, (room.page, room.query), timeout=3)
        await moved(wanderer, (room.page, room.query), drawn=await wanderer.click("Back to the lecturer", drawn))

        # Redis killed mid-lecture: supervisord starts it again, empty; the leader puts the room back
        (redis,) = [p for p in served.running() if "redis-server" in " ".join(p.cmdline())]
        redis.kill()
        await asyncio.to_thread(lambda: until_gone(redis))
        version = 0  # Redis starts empty: the leader puts the room back, then steps it
        room = await step(*STEPS[4], followers)

        # a replica killed: its followers' tabs connect again (to the other) with their address, and follow
        served.replicas()[b].kill()
        reconnected = []
        for follower in followers[2:]:
            tab = await stack.enter_async_context(Tab(base, cookies[b]))
            await moved(tab, (room.page, room.query), drawn=await tab.open(follower.page, follower.query))
            reconnected.append(tab)
        await step(*STEPS[5], followers[:2] + reconnected)


def test_a_class_follows_the_lecturer_across_replicas():
    with serving("--replicas", "2") as served:
        replicas = sorted(served.replicas())
        assert len(replicas) == 2
        in_own_thread(lecture(served.base, replicas, served))
