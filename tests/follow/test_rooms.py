"""The rooms' stores as the app uses them: in memory (`make run`) and in a real redis-server (`make
serve`). Only the lead key steps a room; what a room carries is checked as a link is; steps reach
every listener; a room expires."""

from __future__ import annotations

import json
import threading

import pytest

from app.lecture import rooms
from app.state import LINK_LIMIT


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return rooms.MemoryStore()
    server = request.getfixturevalue("redis_server")
    return rooms.RedisStore(server.url)


def test_a_room_moves_with_its_lead_key_only(store):
    room, key = store.create("masks", "scheme=causal")
    assert rooms.CODE.fullmatch(room.code) and key.startswith(room.code + "-")
    assert store.get(room.code) == room
    stepped = store.step(key, "attention", "head=2")
    assert (stepped.page, stepped.query, stepped.version) == ("attention", "head=2", 2)
    guessed = f"{room.code}-{'A' * 22}"
    altered = key[:-1] + ("A" if key[-1] != "A" else "C")
    other_room, other_key = store.create("home", "")
    for wrong in (guessed, altered, other_key.replace(other_room.code, room.code)):
        with pytest.raises(rooms.RoomError, match=f"does not lead room {room.code}"):
            store.step(wrong, "masks", "scheme=full")
    for broken in ("", "ABCDEF", "x" * 5000, f"{room.code}-<script>", "\u202e" + key):
        with pytest.raises(rooms.RoomError, match="lead key is"):
            store.step(broken, "masks", "")
    assert store.get(room.code).query == "head=2"  # none of them moved it
    assert store.led(key) == store.get(room.code)  # the lead key, back in a tab after a reload
    with pytest.raises(rooms.RoomError, match=f"does not lead room {room.code}"):
        store.led(guessed)


def test_a_room_carries_no_more_than_a_link(store):
    with pytest.raises(rooms.RoomError, match="page must be one of"):
        store.create("../../etc/passwd", "")
    room, key = store.create("masks", "")
    with pytest.raises(rooms.RoomError, match="at most 32 KB"):
        store.step(key, "masks", "text=" + "a" * LINK_LIMIT)
    assert store.get(room.code).version == 1


def test_steps_reach_the_listener_and_a_stopped_room_ends(store):
    got, arrived = [], threading.Event()

    def on_room(room, code):
        got.append((room, code))
        arrived.set()

    store.on_room = on_room
    if isinstance(store, rooms.RedisStore):
        store.listen()
        # the listener subscribes in its own thread: step until one arrives
        room, key = store.create("masks", "")
        while not arrived.wait(0.2):
            store.step(key, "masks", "scheme=full")
    else:
        room, key = store.create("masks", "")
        store.step(key, "masks", "scheme=full")
        assert arrived.wait(5)
    assert got[-1][0].query == "scheme=full" and got[-1][1] == room.code
    arrived.clear()
    store.close(key)
    assert arrived.wait(10)
    assert got[-1] == (None, room.code) and store.get(room.code) is None


def test_redis_keys_expire_hours_after_the_last_step(redis_server):
    import redis

    store = rooms.RedisStore(redis_server.url)
    room, key = store.create("masks", "")
    client = redis.Redis.from_url(redis_server.url)
    assert rooms.TTL_SECONDS - 5 < client.ttl(rooms.PREFIX + room.code) <= rooms.TTL_SECONDS
    client.expire(rooms.PREFIX + room.code, 60)
    store.step(key, "masks", "scheme=full")  # a step starts the hours again
    assert client.ttl(rooms.PREFIX + room.code) > 60
    stored = json.loads(client.get(rooms.PREFIX + room.code))
    assert key not in json.dumps(stored) and stored["lead"] == rooms.hashed(key)  # only the key's hash


def test_a_stored_room_is_checked_on_read(redis_server):
    import redis

    store = rooms.RedisStore(redis_server.url)
    client = redis.Redis.from_url(redis_server.url)
    bad = {
        "AAAAAA": b"\x80\x04pickle",
        "CCCCCC": json.dumps({"code": "CCCCCC", "page": "nowhere", "query": "", "version": 1, "stepped": 0}),
        "DDDDDD": json.dumps({"code": "DDDDDD", "page": "masks", "query": "x" * 40_000, "version": 1, "stepped": 0}),
        "EEEEEE": json.dumps({"code": "EEEEEE", "page": "masks", "query": "", "version": "1", "stepped": 0}),
    }
    for code, text in bad.items():
        client.set(rooms.PREFIX + code, text)
        with pytest.raises(rooms.RoomError):
            store.get(code)


def test_redis_down_is_said_and_nothing_crashes(redis_server):
    store = rooms.RedisStore(redis_server.url)
    room, key = store.create("masks", "")
    redis_server.stop()
    with pytest.raises(rooms.StoreDown, match="cannot be reached"):
        store.step(key, "masks", "scheme=full")
    redis_server.start()  # empty again: no persistence; the leader puts its room back
    assert store.get(room.code) is None
    store.restore(key, room)
    assert store.step(key, "masks", "scheme=full").version == room.version + 1


def test_followers_are_counted_over_every_process_that_still_reports(store):
    room, _ = store.create("masks", "")
    store.report(room.code, "replica-a", 3)
    store.report(room.code, "replica-a", 4)  # its latest count replaces the one before
    if isinstance(store, rooms.MemoryStore):
        assert store.followers(room.code) == 4
        return
    store.report(room.code, "replica-b", 2)
    assert store.followers(room.code) == 6
    # a process that died stops reporting: its count goes after COUNT_SECONDS; a forged value counts nothing
    store.client.hset(rooms.COUNTS + room.code, "replica-b", f"2:{int(rooms.time.time()) - rooms.COUNT_SECONDS - 1}")
    store.client.hset(rooms.COUNTS + room.code, "replica-c", "lots:of")
    assert store.followers(room.code) == 4


def test_a_leader_puts_its_room_back_when_redis_lost_it(redis_server, monkeypatch):
    """The lecturer's next step after Redis restarted empty: the room is back, one step further, and
    the lecturer still leads it (no listener has noticed the restart yet)."""
    import streamlit as st

    store = rooms.RedisStore(redis_server.url)
    here = rooms.Rooms.__new__(rooms.Rooms)  # no listener thread: the step comes first
    here.store, here.followers, here.leaders, here.lock = store, {}, {}, threading.Lock()
    room, key = store.create("masks", "")
    here.leaders["lecturer"] = rooms.Leader(key, room)
    redis_server.stop()
    redis_server.start()
    said = []
    place = type("Place", (), {"warning": lambda self, text, **_: said.append(text), "caption": lambda *a: None})()
    monkeypatch.setattr(st, "session_state", {rooms.LEAD: key})
    rooms.lead_step(here, "lecturer", key, ("masks", {"scheme": "full"}), place)
    assert said == [] and store.get(room.code).query == "scheme=full"
    assert store.get(room.code).version == room.version + 1
