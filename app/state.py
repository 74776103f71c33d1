"""URL and session state in one place.

Every view-defining control is a widget bound to the query string (`bind="query-params"`), so a
link restores the view. Values in a link come from anyone: Streamlit ignores the ones a widget
cannot take; here each one is also checked against what we allow, and a bad one gets a
warning at the top of the page naming the parameter, the allowed values and the value used.

A bound control stays in the same blocks in every view of its page: drawn inside other blocks
than in the run before, its new copy can be mounted while the old one is still on screen (a run
whose messages arrive spread out: a slow connection, a busy server), and removing the old copy
unties the new one from the address bar. What comes and goes above a control (a notice, a
warning, a view's own figures) therefore sits in a `varying()` block.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import streamlit as st

from app.lecture import slides
from app.text import parse_int, quoted

SESSION_WIDE = ("present",)  # settings of the lecture, not of one page: they follow it from page to page
HELD = ("layer", "head")  # link values the browser holds, not a widget (`Link.held`)
VIEWS = "_views"  # session state: page -> its link parameters when the session last left it
LECTURE = "_lecture"  # session state: the SESSION_WIDE link parameters of the last run
ARRIVED = "_arrived"  # session state: link values Streamlit dropped on the way in, for the controls of this run
DRAWN_DEFAULTS = "_drawn_defaults"  # session state: text or number control -> the default it was drawn with last
# The longest link a view may have: the server reads a request of up to 64 KB, and a page load from a
# link on the page sends the page's own link along (as Referer)
LINK_LIMIT = 32_000
HELD_COUNTS = "_held_counts"  # session state: (page, held key) -> how many values it had in the last run
REDRAWN = "_redrawn"  # session state: controls still on screen whose values another step of a deck dropped
PAGE = "_page"  # session state: the page the session ran last (its url path)
STEP = "_step"  # session state: the (deck, step) of its last run
FOLLOWED = "_followed"  # session state: the link a move to the lecturer's step opens (app/lecture/rooms.py)


def varying():
    """A block for content that comes and goes (notices, warnings): one block whatever it holds,
    so the bound controls after it keep their place (see the module's docstring)."""
    return st.container()


def sent_query() -> dict[str, str]:
    """The link as the browser sent it for this run. On a page change `st.query_params` lacks the
    values bound to a control of another page (Streamlit drops them; our pages share names)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx(suppress_warning=True)
    if context is None:
        return st.query_params.to_dict()
    return dict(parse_qsl(context.query_string, keep_blank_values=True))


def open_page(page) -> None:
    """Before `page` (an st.Page) runs. Pages share control keys (`text`, `view`, `head`...) and
    Streamlit keeps a key's value across pages, and over a link's value on the same page; so
    arriving from another page, or at another slide of a deck, would start from the view before.
    Drop those values, and start the page from: the slide's own view (a deck's step), the URL
    (Back / Forward), or its own settings when the session last left it (a click in the sidebar
    brings no link), else its defaults. The lecture's settings (presentation mode) come along."""
    name, last = page.url_path or "home", st.session_state.get(PAGE)
    query = st.query_params.to_dict()
    step, last_step = (query.get("slides"), query.get("step")), st.session_state.get(STEP)
    st.session_state[PAGE], st.session_state[STEP] = name, step
    followed = st.session_state.pop(FOLLOWED, None)  # the lecturer's step, exactly (app/lecture/rooms.py)
    if last is None:  # a link opened in a new tab: it is the view, less a step's values it leaves out
        linked = slides.linked_step(query)
        if linked and linked.slide.page == name:
            arrive({key: value for key, value in linked.slide.params.items() if key not in query})
        return
    same_page = last == name
    if followed is None and same_page and (step == last_step or step[0] is None):
        return  # another run of the same view
    _drop_the_view_before(same_page)
    history = followed is None and _back_or_forward()
    sent = sent_query()  # before any change below: Streamlit writes st.query_params into the run's query
    if not same_page and not history:
        # a value the browser holds belongs to the page left, as a bound control's does, which
        # Streamlit drops on a page change: a deck's step brings its own back (below)
        for key in HELD:
            query.pop(key, None)
            st.query_params.pop(key, None)
    wanted = followed if followed is not None else sent if history else _view_to_open(name, query)
    _start_from(page, wanted, query, sent, same_page)
    if same_page and step[1] is not None:  # Streamlit moves the address bar along for a link to another page only
        st.query_params["step"] = step[1]


def current_page() -> str | None:
    """The page this session runs (its url path), None before its first run."""
    return st.session_state.get(PAGE)


def _back_or_forward() -> bool:
    """This run is the browser's Back or Forward: Streamlit keeps that in its script run context only."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx(suppress_warning=True)
    return context is not None and context.is_history_navigation


def _drop_the_view_before(same_page: bool) -> None:
    """Forget the controls' values of the view the session leaves; on the same page (another step of a
    deck) the controls stay on screen, showing the step before's values: Link tells them (REDRAWN)."""
    dropped = [key for key in st.session_state if not key.startswith("_") and key not in SESSION_WIDE]
    for key in dropped:
        del st.session_state[key]
    if same_page:
        st.session_state[REDRAWN] = set(dropped)


def _view_to_open(name: str, query: dict[str, str]) -> dict[str, str]:
    """The link page `name` opens on, other than by Back / Forward: a deck's step brings its own view;
    else the link's own values over the page's view when the session last left it (a click in the
    sidebar brings no link), with the lecture's settings."""
    lecture = st.session_state.get(LECTURE, {})
    linked = slides.linked_step(query)
    if linked and linked.slide.page == name:
        return {**linked.query(), **lecture}
    left_the_deck = ("slides", "step") if linked else ()  # a bad deck or step stays: the page warns
    own = {key: value for key, value in query.items() if key not in left_the_deck}
    saved = {} if set(own) - set(SESSION_WIDE) else st.session_state.get(VIEWS, {}).get(name, {})
    return {**saved, **lecture, **own}


def _start_from(page, wanted: dict[str, str], query: dict[str, str], sent: dict[str, str], same_page: bool) -> None:
    """Make this run start from the link `wanted` rather than `query`, the cheapest way there is."""
    if wanted == query:
        return
    if wanted.items() <= sent.items() and not (set(sent) - set(wanted)) & set(query):
        # the link as sent, less the values Streamlit dropped for having been bound on another page
        # (on a page change the browser sends those of the page it leaves too): the page's controls
        # take them from here in this run, where a switch to the link would cost a second run
        arrive({key: value for key, value in wanted.items() if key not in query})
    elif same_page:
        # another step of a deck on the same page (Back, Forward): its controls are bound to their
        # parameters already, which Streamlit refuses to set or to switch to; they take the step's
        # values from here (the address bar is the step's entry, less values at their defaults)
        st.session_state[ARRIVED] = {key: value for key, value in wanted.items() if query.get(key) != value}
    else:
        st.switch_page(page, query_params=wanted)


def arrive(values: dict[str, str]) -> None:
    """Link values the URL of this run lacks, for the page's controls (app/state.Link seeds them)
    and the address bar."""
    from streamlit.runtime.state.session_state_proxy import get_session_state

    if not values:
        return
    st.session_state[ARRIVED] = values
    st.query_params.update(values)
    # and the link the controls start from: Streamlit seeds a bound control from the URL as the run
    # began, less what it dropped (on Back / Forward over any value given in code)
    with get_session_state().query_params() as params:
        params.set_initial_query_params_from_current()


def this_session_is_open():
    """A function that tells whether the browser tab of the session running now is still connected:
    long work asks it between steps and stops for a tab that has gone (always True outside a server)."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx(suppress_warning=True)
    if context is None or not runtime.exists():
        return lambda: True
    server, session = runtime.get_instance(), context.session_id
    return lambda: server.is_active_session(session)


def _seed_from_address() -> None:
    """Streamlit seeds a bound control from the link as the run began: from now on, from the link as
    this run has changed it (st.query_params)."""
    from streamlit.runtime.state.session_state_proxy import get_session_state

    with get_session_state().query_params() as params:
        params.set_initial_query_params_from_current()


def _unbind(key: str) -> None:
    """Take a link's value that is no integer out of what Streamlit seeds the control from: it reads
    "9" * 400 or "1e999" as a float, infinity, whose int() it does not catch (a traceback). The
    warning still names the value (Link.raw)."""
    st.query_params.pop(key, None)
    _seed_from_address()


def _one_value_each() -> dict[str, list[str]]:
    """A parameter the link gives more than once keeps its last value, for every control alike (a link
    read into a dict keeps the last; Streamlit's controls would take the first or the last by kind).
    Returns what was given more than once."""
    repeated = {key: values for key in st.query_params if len(values := st.query_params.get_all(key)) > 1}
    for key, values in repeated.items():
        st.query_params[key] = values[-1]
    if repeated:
        _seed_from_address()
    return repeated


class Link:
    """The controls of one page, bound to the URL, with the link's values checked.

    Make one at the top of a page: it keeps the link as it arrived and a place for warnings.
    """

    def __init__(self) -> None:
        arrived = st.session_state.pop(ARRIVED, {})  # see open_page: values seeded by hand
        repeated = _one_value_each()
        self.raw = {**st.query_params.to_dict(), **arrived}
        self.dropped = set(arrived)
        self.redrawn = st.session_state.pop(REDRAWN, set())
        self.warned: set[str] = set()
        # link warnings go at the top of the page, where a reader looks first (on a phone the
        # sidebar with most controls is closed)
        self.notices = st.container()
        for key, values in repeated.items():
            self.warn(f"Link parameter `{key}` is given {len(values)} times; using the last, {quoted(values[-1])}.")
        self.values: dict[str, tuple[object, object]] = {}  # key -> (value, default), for share links
        self.held_counts: dict[str, int] = {}  # values the browser holds (`held`): key -> how many

    def view(self, address: str | None = None) -> dict[str, tuple[object, object]]:
        """Every control's (value, default); `address`: the query string the browser shows now, whose
        values of what the browser holds (`held`) replace this run's."""
        values = dict(self.values)
        if address is None:
            return values
        shown = dict(parse_qsl(address.lstrip("?")))
        for key, count in self.held_counts.items():
            default = values[key][1]
            raw = shown.get(key)
            values[key] = (int(raw) if raw in [str(k) for k in range(count)] else default, default)
        return values

    def query(self, address: str | None = None) -> dict[str, str]:
        """The link parameters of the view as it is now (`address`: see `view`): every control that is
        not at its default."""
        return {
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, (value, default) in self.view(address).items()
            if value != default
        }

    def warn_if_too_long(self) -> None:
        """Every view is its link: say so when this one is too long to open again (reload, share)."""
        size = len(urlencode(self.query()))
        if size > LINK_LIMIT:
            self.warn(
                f"This view's link is {size // 1000} KB, more than the {LINK_LIMIT // 1000} KB a link can carry "
                "here: reloading or sharing it will fail. Shorten the text."
            )

    def remember(self) -> None:
        """Keep this page's view for the next time the session opens the page from the sidebar."""
        query = self.query()
        st.session_state.setdefault(VIEWS, {})[current_page()] = {
            key: value for key, value in query.items() if key not in SESSION_WIDE
        }
        st.session_state[LECTURE] = {key: value for key, value in query.items() if key in SESSION_WIDE}

    def forget(self, *keys: str) -> None:
        """Values of the link that no longer apply (the reader picked another model, whose layers and
        heads are others): not checked against this run's controls, nor warned about."""
        for key in keys:
            self.raw.pop(key, None)

    def warn(self, text: str) -> None:
        self.notices.warning(text, icon="⚠️")

    def _check(self, key: str, ok: bool, allowed: str, used: object) -> None:
        """Warn once, at the top of the page, when the link's value for `key` was not allowed."""
        if key in self.raw and not ok and key not in self.warned:
            self.warned.add(key)
            self.warn(
                f"Link parameter `{key}` = {quoted(self.raw[key])} is not allowed ({allowed}); "
                f"using {quoted(str(used).lower() if isinstance(used, bool) else str(used))}."
            )

    def _seed(self, key: str, ok: bool, value: object, default: object) -> None:
        """A good value of the link that Streamlit dropped on the way in reaches the widget through
        its state (a bad one gets the warning and the default, as ever). A control on screen since
        the step before (another slide of the same page) is given its value the same way: a value
        set in state is sent to the browser, which otherwise kept showing the old one."""
        if key in self.dropped and ok:
            st.session_state[key] = value
        elif key in self.redrawn:
            st.session_state[key] = value if ok and key in self.raw else default

    def _outgrown(self, key: str, ok: bool) -> bool:
        """The link's value for `key` is not allowed in this run, and it is the control's own value
        of the run before: the reader's change elsewhere took it away (fewer heads picked), no link
        brought it. The link forgets it, so no warning names it, and the control takes its default."""
        outgrown = not ok and key in self.raw and str(st.session_state.get(key)) == self.raw[key]
        if outgrown:
            self.forget(key)
        return outgrown

    def _follow(self, key: str, default: object) -> None:
        """A control still at the default it was drawn with follows the default when that changes (a
        document mask's lengths, for a sentence of another length; the sentence followed, for a
        batch of another size; `causal`, True for sliding_window and False for chunked, when the
        reader picks the other scheme): it keeps showing what is drawn, and the address bar, which
        leaves out a value at its default, keeps meaning it. A value the reader set stays."""
        drawn = st.session_state.setdefault(DRAWN_DEFAULTS, {})
        before = drawn.get(key, default)
        if before != default and st.session_state.get(key) == before:
            st.session_state[key] = default
        drawn[key] = default

    def _bind(self, key: str, default, parse, allowed: str, draw, *, outgrows: bool = False):
        """What every control does with the link, in this order: follow a default that changed, let go
        of a value the reader's own change took away (`outgrows`: for controls whose allowed values
        change), seed a value Streamlit dropped, draw the widget (`draw()`), keep its value for the
        share link, and warn about a value the link gave that is not allowed. `parse` reads the link's
        text as the control's value, None if it is not allowed (`allowed` says what is)."""
        raw = self.raw.get(key)
        linked = None if raw is None else parse(raw)
        self._follow(key, default)
        if outgrows and self._outgrown(key, linked is not None):
            st.session_state[key] = default
        self._seed(key, linked is not None, linked, default)
        value = draw()
        self.values[key] = (value, default)
        self._check(key, linked is not None, allowed, value)
        return value

    def integer(self, label: str, key: str, low: int, high: int, default: int, *, where=st, help=None) -> int:
        default = min(max(default, low), high)
        raw = self.raw.get(key, "")
        if raw.strip() and parse_int(raw) is None:
            _unbind(key)

        def parse(text: str) -> int | None:
            value = parse_int(text)
            return value if value is not None and low <= value <= high else None

        def draw() -> int:
            return int(
                where.number_input(
                    label, min_value=low, max_value=high, value=default, step=1, key=key, bind="query-params", help=help
                )
            )

        return self._bind(key, default, parse, f"an integer from {low} to {high}", draw, outgrows=True)

    def choice(self, label: str, key: str, options: list[str], default: str, *, where=st, help=None) -> str:
        """One of `options` as pills: every option visible, one click to switch (the quickest
        control Streamlit has, and readable on a projector)."""

        def draw() -> str:
            # a link's empty or unknown value would leave the pills empty (None): start from the default
            bad = key in self.raw and self.raw[key] not in options
            if bad:
                st.session_state[key] = default
            return where.pills(
                label, options, default=None if bad else default, required=True, key=key, bind="query-params", help=help
            )

        allowed = "one of " + ", ".join(options)
        return self._bind(key, default, lambda text: text if text in options else None, allowed, draw, outgrows=True)

    def held(self, key: str, count: int, default: int) -> int:
        """A number from 0 to count - 1 that the browser holds, not a widget (the layer and head of a view
        of one head: app/figure_element.py switches them in the page and writes the address bar). The
        link's value is checked as a control's is; the browser's later changes reach the server in
        the address the next run is sent with."""
        options = [str(k) for k in range(count)]
        self.held_counts[key] = count
        # a value the reader's own change took away (fewer heads): the count it was picked under held
        # it; no link brought it, so no warning names it, and the address bar lets it go
        counts, place = st.session_state.setdefault(HELD_COUNTS, {}), (current_page(), key)
        before, counts[place] = counts.get(place), count
        raw = self.raw.get(key)
        if raw not in options and before is not None and raw in [str(k) for k in range(before)]:
            self.forget(key)
            st.query_params.pop(key, None)
            raw = None
        value = int(raw) if raw in options else default
        self.values[key] = (value, default)
        self._check(key, raw in options, "one of " + ", ".join(options), value)
        if raw is not None and raw not in options:  # the address bar holds what is drawn, as a control's does
            st.query_params.pop(key, None)
        return value

    def tabs(self, labels: list[str], key: str) -> list:
        """st.tabs bound to the link: the open tab is in the address bar (only its content need run,
        `tab.open`) and in the share link; a link naming no tab of these is warned about."""
        tabs = st.tabs(labels, key=key, bind="query-params")
        open_label = next((label for label, tab in zip(labels, tabs, strict=True) if tab.open), labels[0])
        self.values[key] = (open_label, labels[0])
        self._check(key, self.raw.get(key) in labels, "one of " + ", ".join(labels), open_label)
        return tabs

    def flag(self, label: str, key: str, default: bool, *, where=st, help=None) -> bool:
        def draw() -> bool:
            return bool(where.toggle(label, value=default, key=key, bind="query-params", help=help))

        return self._bind(key, default, lambda text: {"true": True, "false": False}.get(text), "true or false", draw)

    def text(
        self, label: str, key: str, default: str, *, max_chars: int, where=st, help=None, lines: bool = False
    ) -> str:
        widget = where.text_area if lines else where.text_input

        def draw() -> str:
            return widget(label, value=default, key=key, bind="query-params", max_chars=max_chars, help=help)

        def parse(text: str) -> str | None:
            return text if len(text) <= max_chars else None

        return self._bind(key, default, parse, f"at most {max_chars} characters", draw)
