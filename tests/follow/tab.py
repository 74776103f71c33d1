"""A browser tab without a browser, kept open: it runs pages, clicks buttons (a dialog's too), and
draws the runs the server starts itself (a follower moved by the lecturer), keeping its address
bar as Streamlit's frontend does (the page from `new_session`, the query from `page_info_changed`).
The protocol is serve/visit.py's."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from app.figure_element import sent_figure
from serve.visit import cut_short, finished, messages, session


@dataclass
class Drawn:
    """What one run drew."""

    charts: list[dict] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (widget id, fragment id)
    inputs: dict[str, tuple[str, str]] = field(default_factory=dict)  # text boxes: label -> (id, fragment id)
    exceptions: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Tab:
    def __init__(self, base: str, cookie: str | None = None, keep: bool = True):
        """`keep=False`: figures are counted, not decoded (a benchmark's many tabs share the cores)."""
        self.base, self.cookie, self.keep = base, cookie, keep
        self.page, self.query = "", ""  # the address bar: the page's url path and the query string
        self.pages: dict[str, str] = {}  # page script hash -> url path
        self.replica: str | None = None
        self._socket = None
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self):
        self._socket, self.replica = await self._stack.enter_async_context(session(self.base, cookie=self.cookie))
        return self

    async def __aexit__(self, *exc):
        await self._stack.aclose()

    async def open(self, page: str = "", query: str = "") -> Drawn:
        back = BackMsg()
        back.rerun_script.query_string, back.rerun_script.page_name = query, page
        self.page, self.query = page, query
        await self._socket.send(back.SerializeToString())
        return await self.drawn()

    async def click(self, label: str, drawn: Drawn) -> Drawn:
        """Click the button labelled `label` that `drawn` showed (in a dialog: a run of the dialog only)."""
        return await self._send(*drawn.buttons[label], trigger_value=True)

    async def type(self, label: str, text: str, drawn: Drawn) -> Drawn:
        """Type `text` in the text box labelled `label` that `drawn` showed, then leave it."""
        return await self._send(*drawn.inputs[label], string_value=text)

    async def _send(self, widget: str, fragment: str, **value) -> Drawn:
        back = BackMsg()
        state = back.rerun_script
        state.query_string, state.page_name = self.query, self.page
        if fragment:
            state.fragment_id = fragment
        sent = state.widget_states.widgets.add()
        sent.id = widget
        for name, given in value.items():
            setattr(sent, name, given)
        await self._socket.send(back.SerializeToString())
        return await self.drawn()

    async def drawn(self, timeout: float = 60.0) -> Drawn:
        """The next run to finish, whoever started it (this tab, or the server for a follower)."""
        drawn, start = Drawn(), time.perf_counter()
        async with asyncio.timeout(timeout):
            async for msg, _ in messages(self._socket):
                # a run starts (`new_session`), or one is cut short for another: the page ends with what the
                # next run draws, as a browser's does (an exception stays said)
                if cut_short(msg) or msg.WhichOneof("type") == "new_session":
                    drawn = Drawn(exceptions=drawn.exceptions)
                self._read(msg, drawn)
                if finished(msg):
                    break
        drawn.seconds = time.perf_counter() - start
        return drawn

    def _read(self, msg: ForwardMsg, drawn: Drawn) -> None:
        kind = msg.WhichOneof("type")
        if kind == "navigation":
            self.pages.update({p.page_script_hash: p.url_pathname for p in msg.navigation.app_pages})
            if msg.navigation.page_script_hash in self.pages:
                self.page = self.pages[msg.navigation.page_script_hash]
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                drawn.exceptions.append(f"{element.exception.type}: {element.exception.message}")
            elif which == "bidi_component" and not self.keep:
                drawn.charts.append({})
            elif which == "bidi_component" and (figure := sent_figure(element.bidi_component)) is not None:
                drawn.charts.append(figure)
            elif which in ("markdown", "alert"):
                drawn.texts.append(getattr(element, which).body)
            elif which == "button":
                drawn.buttons[element.button.label] = (element.button.id, msg.delta.fragment_id)
            elif which == "text_input":
                drawn.inputs[element.text_input.label] = (element.text_input.id, msg.delta.fragment_id)
