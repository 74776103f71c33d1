"""Rooms: the class follows the lecturer. The lecturer's tab leads a room; each view it draws is the
room's next step, and every student tab that follows the room is moved to it.

A room is small and public but for its lead key: a code (6 letters, no look-alikes), the current
view as a link (a page and its query string, at most LINK_LIMIT, checked as any link is when a page opens it), a version
and the time of its last step. Only the hash of the lead key is stored; the key itself stays in the
leading tab's session (never in a URL, which a projector and screenshots show).

Where rooms live: in this process (`make run`), or in Redis when MASK_LAB_REDIS names one (`make
serve`, Kubernetes), so that every replica sees every room. A step is published (Redis PUBLISH on
one channel); each process has one listener thread, which asks each of its own follower sessions
to run again: a follower costs nothing while the lecturer does not move. Keys expire TTL_SECONDS
after the last step.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import parse_qsl, urlencode

import streamlit as st

from app.lecture import slides
from app.pages import BY_NAME
from app.state import FOLLOWED, LECTURE, LINK_LIMIT, VIEWS, current_page, sent_query
from app.text import quoted

LOG = logging.getLogger(__name__)
LETTERS = "ACDEFGHJKMNPQRTUVWXY"  # no B/8, I/L/1, O/0, S/5, Z/2: read off a projector, typed on a phone
CODE = re.compile(f"[{LETTERS}]{{6}}")
KEY = re.compile(f"([{LETTERS}]{{6}})-([A-Za-z0-9_-]{{22}})")  # the code, then 128 random bits
TTL_SECONDS = 4 * 3600  # a room ends this long after its last step
PREFIX, CHANNEL, COUNTS = "mask-lab:room:", "mask-lab:steps", "mask-lab:followers:"
TICK_SECONDS, COUNT_SECONDS = 10, 30  # each process says how many follow each room; older counts are gone


class RoomError(ValueError):
    """A request about a room that cannot be met, said so a person knows what to do."""


class StoreDown(RoomError):
    """The store of rooms cannot be reached (Redis stopped)."""


class RoomEnded(RoomError):
    """The room is not in the store: stopped, expired, or lost with a Redis restarted."""


@dataclass(frozen=True)
class Room:
    code: str
    page: str  # a page's name (app/pages.py)
    query: str  # the view's link parameters, urlencoded
    version: int
    stepped: float  # time of the last step (seconds since the epoch)

    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))


def checked_view(page: str, query: str) -> tuple[str, str]:
    """A view a room may carry: a page of the app and a query string no longer than a link."""
    if page not in BY_NAME:
        raise RoomError(f"page must be one of {', '.join(BY_NAME)} (got {page[:40]!r})")
    if not isinstance(query, str) or len(query) > LINK_LIMIT:
        raise RoomError(f"a room's view is a link of at most {LINK_LIMIT // 1000} KB")
    return page, query


def parse_room(text: str | bytes) -> tuple[Room, str]:
    """A room as stored (JSON), checked field by field; with the hash of its lead key ("" if not sent)."""
    try:
        data = json.loads(text)
        room = Room(data["code"], data["page"], data["query"], data["version"], data["stepped"])
        lead = data.get("lead", "")
    except (ValueError, KeyError, TypeError) as error:
        raise RoomError(f"a stored room is not one ({error})") from None
    types_ok = isinstance(room.version, int) and isinstance(room.stepped, (int, float)) and isinstance(lead, str)
    if not (isinstance(room.code, str) and CODE.fullmatch(room.code) and types_ok):
        raise RoomError("a stored room is not one (bad code, version or time)")
    checked_view(room.page, room.query)
    return room, lead


def dumped(room: Room, lead: str = "") -> str:
    return json.dumps({**asdict(room), **({"lead": lead} if lead else {})})


def hashed(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def code_of(key: str) -> str:
    """The room a lead key leads; RoomError if it is no key at all."""
    match = KEY.fullmatch(key.strip()) if isinstance(key, str) else None
    if match is None:
        raise RoomError("a lead key is the room's 6 letters, a dash and 22 characters (from the share panel)")
    return match[1]


def new_code() -> str:
    return "".join(secrets.choice(LETTERS) for _ in range(6))


def new_key(code: str) -> str:
    return f"{code}-{secrets.token_urlsafe(16)}"


def _led(room_lead: str, key: str) -> bool:
    return hmac.compare_digest(room_lead, hashed(key))


class MemoryStore:
    """Rooms in this process: `make run`'s single process needs no Redis."""

    def __init__(self):
        self._rooms: dict[str, tuple[Room, str, float]] = {}  # code -> room, lead hash, expiry
        self._counts: dict[str, int] = {}  # code -> its followers
        self._lock = threading.Lock()
        self.on_room = None  # set by Rooms: called with each room's new state
        self.up = True

    def _live(self, code: str):
        entry = self._rooms.get(code)
        if entry and entry[2] < time.time():
            del self._rooms[code]
            return None
        return entry

    def create(self, page: str, query: str) -> tuple[Room, str]:
        page, query = checked_view(page, query)
        with self._lock:
            code = new_code()
            while self._live(code):
                code = new_code()
            key = new_key(code)
            room = Room(code, page, query, 1, time.time())
            self._rooms[code] = (room, hashed(key), time.time() + TTL_SECONDS)
        return room, key

    def get(self, code: str) -> Room | None:
        with self._lock:
            entry = self._live(code)
        return entry[0] if entry else None

    def _entry_led_by(self, key: str):
        """The live entry of the room `key` leads (the caller holds the lock); RoomError if none."""
        code = code_of(key)
        entry = self._live(code)
        if entry is None:
            raise RoomEnded(f"room {code} has ended")
        if not _led(entry[1], key):
            raise RoomError(f"this key does not lead room {code}")
        return entry

    def led(self, key: str) -> Room:
        """The room `key` leads; RoomError if it leads none."""
        with self._lock:
            return self._entry_led_by(key)[0]

    def step(self, key: str, page: str, query: str) -> Room:
        page, query = checked_view(page, query)
        code = code_of(key)
        with self._lock:
            entry = self._entry_led_by(key)
            room = Room(code, page, query, entry[0].version + 1, time.time())
            self._rooms[code] = (room, entry[1], time.time() + TTL_SECONDS)
        self._publish(room)
        return room

    def restore(self, key: str, room: Room) -> None:
        with self._lock:
            if not self._live(room.code):
                self._rooms[room.code] = (room, hashed(key), time.time() + TTL_SECONDS)

    def close(self, key: str) -> None:
        code = code_of(key)
        with self._lock:
            entry = self._live(code)
            if entry and _led(entry[1], key):
                del self._rooms[code]
        self._publish(None, code)

    def report(self, code: str, process: str, followers: int) -> None:
        self._counts[code] = followers

    def followers(self, code: str) -> int:
        return self._counts.get(code, 0)

    def _publish(self, room: Room | None, code: str | None = None) -> None:
        if self.on_room:
            threading.Thread(target=self.on_room, args=(room, code or room.code), daemon=True).start()


class RedisStore:
    """Rooms in Redis: every replica sees every room; a step reaches every replica by PUBLISH."""

    def __init__(self, url: str):
        import redis

        self._redis = redis
        # short timeouts: a lecturer's run waits at most this long on a Redis that has gone
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.url = url
        self.on_room = None
        self.on_back = None  # called when Redis answers again after it did not
        self.on_down = None  # called when Redis stops answering
        self.on_tick = None  # called every TICK_SECONDS while Redis answers
        self.up = True
        self._listener = None

    def _call(self, work):
        try:
            return work()
        except self._redis.RedisError as error:
            self.up = False
            raise StoreDown(f"the room store (Redis) cannot be reached: {error}") from None

    def create(self, page: str, query: str) -> tuple[Room, str]:
        page, query = checked_view(page, query)

        def create():
            while True:
                code = new_code()
                key = new_key(code)
                room = Room(code, page, query, 1, time.time())
                if self.client.set(PREFIX + code, dumped(room, hashed(key)), nx=True, ex=TTL_SECONDS):
                    return room, key

        return self._call(create)

    def get(self, code: str) -> Room | None:
        text = self._call(lambda: self.client.get(PREFIX + code))
        return None if text is None else parse_room(text)[0]

    def led(self, key: str) -> Room:
        """The room `key` leads; RoomError if it leads none."""
        code = code_of(key)
        text = self._call(lambda: self.client.get(PREFIX + code))
        if text is None:
            raise RoomEnded(f"room {code} has ended")
        room, lead = parse_room(text)
        if not _led(lead, key):
            raise RoomError(f"this key does not lead room {code}")
        return room

    def step(self, key: str, page: str, query: str) -> Room:
        page, query = checked_view(page, query)
        code = code_of(key)

        def step():
            with self.client.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(PREFIX + code)  # one leader: a retry only if its own step raced it
                        text = pipe.get(PREFIX + code)
                        if text is None:
                            raise RoomEnded(f"room {code} has ended")
                        before, lead = parse_room(text)
                        if not _led(lead, key):
                            raise RoomError(f"this key does not lead room {code}")
                        room = Room(code, page, query, before.version + 1, time.time())
                        pipe.multi()
                        pipe.set(PREFIX + code, dumped(room, lead), ex=TTL_SECONDS)
                        pipe.publish(CHANNEL, dumped(room))
                        pipe.execute()
                        return room
                    except self._redis.WatchError:
                        continue

        return self._call(step)

    def restore(self, key: str, room: Room) -> None:
        """The room as its leader last stepped it, if Redis lost it (a restart: no persistence)."""

        def restore():
            if self.client.set(PREFIX + room.code, dumped(room, hashed(key)), nx=True, ex=TTL_SECONDS):
                self.client.publish(CHANNEL, dumped(room))

        self._call(restore)

    def close(self, key: str) -> None:
        code = code_of(key)

        def close():
            text = self.client.get(PREFIX + code)
            if text is not None and _led(parse_room(text)[1], key):
                self.client.delete(PREFIX + code)
                self.client.publish(CHANNEL, json.dumps({"closed": code}))

        self._call(close)

    def report(self, code: str, process: str, followers: int) -> None:
        """How many follow `code` in this process, with the time: a process that died stops counting."""

        def report():
            with self.client.pipeline() as pipe:
                pipe.hset(COUNTS + code, process, f"{followers}:{time.time():.0f}")
                pipe.expire(COUNTS + code, TTL_SECONDS)
                pipe.execute()

        self._call(report)

    def followers(self, code: str) -> int:
        """Followers of `code` in every process that reported in the last COUNT_SECONDS."""
        counts = self._call(lambda: self.client.hvals(COUNTS + code))
        total = 0
        for value in counts:
            followers, _, when = value.decode(errors="replace").partition(":")
            if followers.isdigit() and when.isdigit() and time.time() - int(when) < COUNT_SECONDS:
                total += int(followers)
        return total

    def listen(self) -> None:
        """One thread per process: each published step to on_room; Redis gone, then back: on_back."""
        if self._listener is None:
            self._listener = threading.Thread(target=self._listen, name="mask-lab-rooms", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        wait = 0.2
        while True:
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                was_down, self.up, wait = not self.up, True, 0.2
                if was_down and self.on_back:
                    self.on_back()
                last_ping = last_tick = time.monotonic()
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "message":
                        self._received(message["data"])
                    if time.monotonic() - last_ping > 2:  # a Redis that went away without a word
                        pubsub.ping()
                        last_ping = time.monotonic()
                    if time.monotonic() - last_tick > TICK_SECONDS and self.on_tick:
                        self.on_tick()
                        last_tick = time.monotonic()
            except self._redis.RedisError as error:
                if self.up:
                    LOG.warning("rooms: Redis at %s cannot be reached (%s); retrying", self.url, error)
                    self.up = False
                    if self.on_down:
                        self.on_down()
                self.up = False
                with contextlib.suppress(Exception):
                    pubsub.close()
                time.sleep(wait)
                wait = min(wait * 2, 2.0)
            except Exception:  # a listener that dies would leave every follower of this process behind
                LOG.exception("rooms: listener failed; starting again")
                time.sleep(1.0)

    def _received(self, data: bytes) -> None:
        try:
            if (closed := json.loads(data).get("closed")) is not None:
                if isinstance(closed, str) and CODE.fullmatch(closed):
                    self.on_room(None, closed)
                return
            room = parse_room(data)[0]
        except (RoomError, ValueError, AttributeError) as error:
            LOG.warning("rooms: ignored a message that is no room (%s)", error)
            return
        self.on_room(room, room.code)


@dataclass
class Follower:
    """A session of this process that follows a room."""

    code: str
    version: int = 0  # the room's version this session was last moved to
    pending: Room | None = None  # a step it has not been moved to yet
    left: bool = False  # it changed the view itself: not moved until it rejoins
    moving: tuple[str, str] | None = None  # the (page hash, query) of the move it was asked to run
    target: Room | None = None  # that move's step
    anchor: tuple[str, dict] | None = None  # the view it drew after its last move
    ended: bool = False  # the room ended (closed, or Redis lost it and nobody restored it)
    lecture: dict = field(default_factory=dict)  # its own lecture settings (presentation mode), kept on a move
    where: tuple[str, str] | None = None  # (page hash, query) of its last run


@dataclass
class Leader:
    """A session of this process that leads a room: its key, and its last step (to restore it)."""

    key: str
    room: Room | None = None
    drawn: tuple[str, str] | None = None  # the (page, query) of the view it last sent, as its page drew it
    unsent: tuple[str, str] | None = None  # a view it could not publish (Redis down)
    deck_step: slides.Step | None = None  # the deck's step of its last run, if it ran one
    sent_first: bool = False  # its current run's step went to the class as the run began


@dataclass
class Rooms:
    """This process's rooms: the store, and the sessions here that follow or lead one."""

    store: object
    followers: dict[str, Follower] = field(default_factory=dict)  # session id -> its following
    leaders: dict[str, Leader] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    process: str = field(default_factory=lambda: secrets.token_hex(6))  # this process, in the counts

    def __post_init__(self):
        self.store.on_room = self.stepped
        if isinstance(self.store, RedisStore):
            self.store.on_back, self.store.on_down, self.store.on_tick = self.back, self.down, self.report
            self.store.listen()

    def stepped(self, room: Room | None, code: str) -> None:
        """A room moved (or ended): every follower here that has not left is asked to run again."""
        with self.lock:
            chosen = [(sid, f) for sid, f in self.followers.items() if f.code == code]
            for _, follower in chosen:
                if room is None:
                    follower.ended = True
                elif room.version > max(follower.version, follower.pending.version if follower.pending else 0):
                    follower.pending = room
        for sid, follower in chosen:
            if not follower.left:
                self.wake(sid, follower)

    def wake(self, session_id: str, follower: Follower) -> None:
        """Ask the session to run the room's step, as if its tab had opened the step's link (the run
        itself tells the tab's address bar: `follow_run`)."""
        from streamlit import runtime
        from streamlit.proto.ClientState_pb2 import ClientState

        if not runtime.exists():
            return
        server = runtime.get_instance()
        session = server.get_app_session(session_id)
        if session is None:  # the tab has gone
            with self.lock:
                self.followers.pop(session_id, None)
            return
        if (room := follower.pending) is None:  # to say what changed (paused), where it is
            if follower.moving is not None:  # a move on its way says it: a run here would take its place
                return
            page_hash, query = follower.where
            state = ClientState(query_string=query, page_script_hash=page_hash)
        else:
            page_hash = next(
                (h for h, info in session._pages_manager.get_pages().items() if info.get("url_pathname") == room.page),
                "",
            )
            query = urlencode({**room.params(), **follower.lecture, "follow": follower.code})
            follower.pending, follower.version, follower.moving = None, room.version, (page_hash, query)
            follower.target = room
            state = ClientState(query_string=query, page_script_hash=page_hash, page_name=room.page)
        # AppSession's methods run on the server's event loop (streamlit/runtime/runtime.py)
        server._get_async_objs().eventloop.call_soon_threadsafe(session.request_rerun, state)

    def back(self) -> None:
        """Redis answers again, maybe emptied by a restart: the leaders here put their rooms back, and
        the followers here catch up with the step they missed."""
        for leader in list(self.leaders.values()):
            with contextlib.suppress(RoomError):
                if leader.room is not None:
                    self.store.restore(leader.key, leader.room)
                if leader.unsent is not None:
                    leader.room = self.store.step(leader.key, *leader.unsent)
                    leader.drawn, leader.unsent = leader.unsent, None
        now = {}
        for code in {f.code for f in list(self.followers.values())}:
            with contextlib.suppress(RoomError):
                now[code] = self.store.get(code)
        with self.lock:
            woken = [(sid, f) for sid, f in self.followers.items() if not f.left]
            for _, follower in woken:
                if (room := now.get(follower.code)) is not None and room.version > follower.version:
                    follower.pending = room
        for session_id, follower in woken:  # moved, or told following goes on
            if follower.pending or follower.where:
                self.wake(session_id, follower)

    def down(self) -> None:
        """Redis stopped answering: each follower here runs its view again, to say following is paused."""
        for session_id, follower in list(self.followers.items()):
            if not follower.left and follower.where:
                self.wake(session_id, follower)

    def report(self, code: str | None = None) -> None:
        """How many follow each room here (or `code` alone), for the lecturer's page. Tabs that have
        gone are forgotten first."""
        from streamlit import runtime

        if runtime.exists():
            server = runtime.get_instance()
            with self.lock:
                for registry in (self.followers, self.leaders):
                    for gone in [sid for sid in registry if not server.is_active_session(sid)]:
                        del registry[gone]
        with self.lock:
            codes = [code] if code else sorted({f.code for f in self.followers.values()})
            counts = {c: sum(1 for f in self.followers.values() if f.code == c and not f.left) for c in codes}
        for room, followers in counts.items():
            with contextlib.suppress(RoomError):
                self.store.report(room, self.process, followers)


_ROOMS: Rooms | None = None
_MADE = threading.Lock()


def rooms() -> Rooms:
    """This process's rooms, made on first use: in Redis if MASK_LAB_REDIS names one, else here."""
    global _ROOMS
    with _MADE:
        if _ROOMS is None:
            url = os.environ.get("MASK_LAB_REDIS", "").strip()
            _ROOMS = Rooms(RedisStore(url) if url else MemoryStore())
        return _ROOMS


# In a page's run (app/streamlit_app.py calls follow_run before the page, after_run after it)
LEAD = "_lead"  # session state: the lead key of the room this tab leads (only here: never in a link)
MOVED = "_room_moved"  # session state: this run is a move to the room's step
NOTICE = "_room_notice"  # session state: what to tell the reader about a room, once
BACK = "_room_back"  # the "Back to the lecturer" button's key


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx(suppress_warning=True)
    return None if context is None else context.session_id


def follow_run() -> None:
    """Before the page's link is read (app/state.open_page): join the room a follow link names
    (?follow=CODE); move to the room's step when the lecturer moved. A move is a run of the step's
    link, which the server starts (`Rooms.wake`): the page then opens it as any link, and the address
    bar is told."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx(suppress_warning=True)
    if context is None:
        return
    here, session = rooms(), context.session_id
    follower = here.followers.get(session)
    asked = sent_query().get("follow")
    if asked is not None and (follower is None or follower.code != asked.strip().upper()):
        follower = _join(here, session, asked)
    if follower is None:
        return
    follower.where = (context.page_script_hash, context.query_string)  # where a run to say something goes
    if follower.moving is not None:
        if follower.moving == follower.where:  # this run is the move
            follower.moving = follower.target = None
            st.session_state[FOLLOWED] = dict(parse_qsl(context.query_string, keep_blank_values=True))
            st.session_state[MOVED] = True
            return
        # another run came first (a click, a status run) and took the move's place: move again
        follower.pending = follower.pending or follower.target
        follower.moving = follower.target = None
    follower.lecture = st.session_state.get(LECTURE, {})
    if follower.pending is not None and not follower.left and not follower.ended:
        here.wake(session, follower)  # this run stops; the step's runs next
        st.stop()


def _join(here: Rooms, session: str, asked: str) -> Follower | None:

    code = asked.strip().upper()
    if not CODE.fullmatch(code):
        st.session_state[NOTICE] = (
            f"Link parameter `follow` = {quoted(asked)} is not a room code: a code is 6 letters, as the "
            "lecturer's share panel shows it."
        )
        return None
    try:
        room = here.store.get(code)
    except StoreDown:
        st.session_state[NOTICE] = f"Room {code} cannot be reached right now: reload this page in a moment."
        return None
    if room is None:
        st.session_state[NOTICE] = (
            f"Room {code} is not open: it has ended, or the code is mistyped. Ask the lecturer for the code or "
            "the follow link (a room ends 4 hours after its last step)."
        )
        return None
    with here.lock:
        follower = here.followers[session] = Follower(code, pending=room)
    here.report(code)
    return follower


def after_run(place) -> None:
    """After the page ran: a follower that drew another view than its last move has left; a leader's
    new view is the room's next step. Either is said in `place`, over the page."""

    session = _session_id()
    if session is None:
        return
    here, page = rooms(), current_page()
    view = (page, dict(st.session_state.get(VIEWS, {}).get(page, {})))
    if notice := st.session_state.pop(NOTICE, None):
        place.warning(notice, icon=":material/group_off:")
    if (follower := here.followers.get(session)) is not None:
        _follower_status(here, session, follower, view, place)
    if (key := st.session_state.get(LEAD)) is not None:
        lead_step(here, session, key, view, place)


def _follower_status(here: Rooms, session: str, follower: Follower, view, place) -> None:

    if st.session_state.pop(MOVED, False):
        follower.anchor = view
        # sends the address bar the whole link of the run; only now: written before the page opened the
        # link, it would hide from app/state.open_page the values Streamlit dropped on the way in
        st.query_params["follow"] = follower.code
    elif follower.anchor is not None and view != follower.anchor and not follower.left:
        follower.left = True
        here.report(follower.code)
    code = follower.code
    if follower.ended:
        place.warning(f"Room {code} has ended: the lecturer stopped it. This page stays as it is.")
        with here.lock:
            here.followers.pop(session, None)
        st.query_params.pop("follow", None)  # a reload opens this view, without a room to join
    elif not here.store.up:
        place.warning(
            f"Following room {code} is paused: this server cannot reach its room store. You keep this view, "
            "and follow again once it is back.",
            icon=":material/pause_circle:",
        )
    elif follower.left:
        words, button = place.columns([3, 1], vertical_alignment="center")
        words.info(f"You left the lecturer's view (room {code}).", icon=":material/explore:")
        button.button("Back to the lecturer", key=BACK, on_click=rejoin, args=(session,), icon=":material/undo:")
    else:
        place.caption(f":material/group: Following room **{code}**: this page moves with the lecturer.")


def rejoin(session: str) -> None:
    """Back to the lecturer: to the room's current step, following again."""
    here = rooms()
    follower = here.followers.get(session)
    if follower is None:
        return
    try:
        room = here.store.get(follower.code)
    except StoreDown:
        room = None
    follower.left = False
    here.report(follower.code)
    if room is None:
        follower.ended = not isinstance(here.store, RedisStore) or here.store.up
        return
    follower.pending, follower.version = room, 0  # moved even to the step it saw last


def lead_deck_step() -> None:
    """Before the page runs: a lecturer's Next (another step of a deck) goes to the class as the run
    begins, as the step's link, so that the students' runs of the step go alongside the lecturer's own
    rather than after it. After the run, `lead_step` takes the view drawn as the one sent; any other
    change the lecturer makes goes out once drawn."""
    session, key = _session_id(), st.session_state.get(LEAD)
    if session is None or key is None:
        return
    here, page = rooms(), current_page()
    leader = here.leaders.setdefault(session, Leader(key))
    step = _deck_step(page)
    new, leader.deck_step = step is not None and step != leader.deck_step, step
    leader.sent_first = False
    if not new or leader.unsent is not None:  # the store was down: the step goes after the run, said there
        return
    with contextlib.suppress(RoomError):  # refused or down: the run's end sends it, or says why not
        leader.room = here.store.step(key, page, urlencode(step.query()))
        leader.sent_first = True


def _deck_step(page: str) -> slides.Step | None:
    """The deck's step this run opens on `page`, if it opens one."""
    linked = slides.linked_step(sent_query())
    return linked if linked and linked.slide.page == page else None


def lead_step(here: Rooms, session: str, key: str, view, place) -> None:
    """The leader's view, when it is new, is the room's next step."""
    page, params = view
    leader = here.leaders.setdefault(session, Leader(key))
    query = urlencode(params)
    if leader.sent_first:  # this run's view went out as its step's link
        leader.drawn, leader.sent_first = (page, query), False
    try:
        if leader.drawn != (page, query):
            try:
                stepped = here.store.step(key, page, query)
            except RoomEnded:
                if leader.room is None:
                    raise
                # its lecturer is still here: a Redis restarted empty (or hours without a step)
                here.store.restore(key, leader.room)
                stepped = here.store.step(key, page, query)
            leader.room, leader.drawn, leader.unsent = stepped, (page, query), None
    except StoreDown:
        leader.unsent = (page, query)
        place.warning(
            "The class does not follow right now: the room store cannot be reached. Its students keep "
            "their view; this step reaches them once the store is back.",
            icon=":material/pause_circle:",
        )
        return
    except RoomError as error:
        st.session_state.pop(LEAD, None)
        here.leaders.pop(session, None)
        place.warning(f"You no longer lead a room: {error}. Start a new one from the share panel.")
        return

    from app.lecture.share import LOCAL, class_link, follow_link

    code = leader.room.code
    try:
        following = f"{here.store.followers(code)} following"
    except StoreDown:
        following = "following paused"
    link = follow_link(class_link(st.context.url or LOCAL)[0], code)
    place.caption(f":material/podcasts: Leading room **{code}** · {following} · follow: {link}")


def start(session: str, page: str, params: dict[str, str]) -> Room:
    """A new room on this view, led by this session (its key in session state only)."""

    here = rooms()
    room, key = here.store.create(page, urlencode(params))
    st.session_state[LEAD] = key
    here.leaders[session] = Leader(key, room, drawn=(page, room.query), deck_step=_deck_step(page))
    return room


def resume(session: str, key: str) -> Room:
    """Lead again a room this browser led (after a reload, or from another tab), with its lead key."""

    here = rooms()
    key = key.strip()
    room = here.store.led(key)  # refused: a wrong key, or a room that has ended
    st.session_state[LEAD] = key
    # the next run makes this tab's view the step, if it is another
    here.leaders[session] = Leader(key, room, drawn=(room.page, room.query))
    return room


def stop(session: str) -> None:

    here = rooms()
    key = st.session_state.pop(LEAD, None)
    here.leaders.pop(session, None)
    if key:
        here.store.close(key)
