"""The share panel: the view's link as a class can open it (this machine's network address for
localhost), a QR code of it, the embed links, an iframe snippet and the figures as offline HTML; and
a room the class follows (app/lecture/rooms.py): its code, follow link and QR code."""

from __future__ import annotations

import io
import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

import streamlit as st

from app import figure_element, figures
from app.lecture import rooms
from app.pages import BY_NAME

if TYPE_CHECKING:
    from app.lecture.stage import Lecture

LOCAL = "http://localhost:8501"
QR_WIDTH = 480  # px: a QR code of a link of a few hundred characters, scanned from the back of a hall


def network_address() -> str | None:
    """This machine's address on its network (the first IPv4 address of an interface that is up and
    is not loopback or link-local), found without sending anything; None if it has none."""
    import psutil

    up = {name for name, stats in psutil.net_if_stats().items() if stats.isup}
    for name, addresses in psutil.net_if_addrs().items():
        for address in addresses:
            if name in up and address.family.name == "AF_INET":
                ip = ipaddress.ip_address(address.address)
                if not (ip.is_loopback or ip.is_link_local):
                    return address.address
    return None


def class_link(url: str) -> tuple[str, str | None]:
    """The link as a class can open it, and a note when it cannot: a lecturer browsing on this machine
    sees localhost, which is every student's own machine. The operator's `browser.serverAddress`,
    else this machine's network address when the server listens on every address (`make run` and
    `make serve` do), takes its place."""
    parts = urlsplit(url)
    if parts.hostname is None or not _loopback(parts.hostname):
        return url, None
    if st.config.is_manually_set("browser.serverAddress"):
        host = st.get_option("browser.serverAddress")
    elif st.get_option("server.address") not in (None, "", "0.0.0.0", "::"):
        listens = st.get_option("server.address")
        return url, f"This server listens on {listens} only: students cannot open this link from their machines."
    else:
        host = network_address()
        if host is None:
            return url, "This machine has no network address: the link opens on this machine only."
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl(), None


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def qr_png(link: str) -> bytes:
    """The link as a QR code (segno), black on white with the quiet zone scanners need."""
    import segno

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


SHARE, QR, ADDRESS = "_share", "_share_qr", "_share_address"  # the share dialog's keys (never in a link)
ROOM_START, ROOM_STOP, ROOM_KEY = "_room_start", "_room_stop", "_room_key"


@st.dialog("Share this view", width="large")
def share_dialog(lecture: Lecture) -> None:
    """A QR code of the view's link for the class, the deep link, the embed links, the iframe snippet
    and the figures as one offline HTML file: of the view the browser shows, a head picked there
    included (the dialog asks the page for its address and is drawn again when it answers)."""
    address = figure_element.address_bar(key=ADDRESS)
    links, title = lecture.links(address), lecture.title
    figs = lecture.shown_figures(address)
    try:
        st.image(qr_png(links["view"]), width=QR_WIDTH, caption="Scan to open this view")
    except ValueError as error:  # segno's DataOverflowError: a QR code holds about 2,300 characters of a link
        st.info(f"The link has {len(links['view']):,} characters, too many for a QR code ({error}): share the link.")
    if links["note"]:  # the address is this machine's own
        st.warning(links["note"])
    for name in ("view", "embed", "dark embed", "iframe"):
        st.caption(name)
        st.code(links[name], language=None, wrap_lines=True)
    st.download_button(
        "Figures as offline HTML",
        data=lambda: figures.standalone_html(figs, title),
        file_name=f"{title.lower().replace(' ', '-')}.html",
        mime="text/html",
        icon=":material/download:",
        on_click="ignore",  # no rerun: one would race the browser for the file it just made
    )
    st.divider()
    room_panel(lecture, address, links["view"])


def follow_link(view_link: str, code: str) -> str:
    """The room's link: the app's root (where the view's page is) with ?follow=CODE."""
    parts = urlsplit(view_link)
    path = parts.path.rstrip("/")
    root = path.rsplit("/", 1)[0] if path.rsplit("/", 1)[-1] in BY_NAME else path
    return parts._replace(path=root + "/", query=urlencode({"follow": code}), fragment="").geturl()


def room_panel(lecture: Lecture, address: str | None, view_link: str) -> None:
    """The class follows the lecturer: start a room on this view (its code, follow link and QR code),
    stop it, or lead again a room this browser led (its lead key, after a reload)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    session = get_script_run_ctx().session_id
    st.subheader("The class follows you", anchor=False)
    key = st.session_state.get(rooms.LEAD)
    try:
        if key is None:
            _no_room(lecture, address, session)
        else:
            code = rooms.code_of(key)
            link = follow_link(view_link, code)
            st.markdown(f"Room **{code}**: every student who opens this link moves with this tab.")
            st.image(qr_png(link), width=QR_WIDTH, caption=f"Scan to follow room {code}")
            st.code(link, language=None, wrap_lines=True)
            with st.expander("Lead this room again after a reload, or from another tab"):
                st.caption("Keep this lead key to yourself: whoever has it leads the room.")
                st.code(key, language=None)
            if st.button("Stop the room", icon=":material/stop_circle:", key=ROOM_STOP):
                rooms.stop(session)
                st.rerun()  # the whole page (the dialog closes): its "Leading room" line goes at once
    except rooms.RoomError as error:
        st.warning(f"{error}.")


def _no_room(lecture: Lecture, address: str | None, session: str) -> None:
    from app.state import SESSION_WIDE, current_page

    st.caption("Start a room: its link moves every student's page with this tab's steps, on every replica.")
    if st.button("Start a room", icon=":material/podcasts:", key=ROOM_START):
        params = {k: v for k, v in lecture.link.query(address).items() if k not in SESSION_WIDE}
        rooms.start(session, current_page(), params)
        st.rerun(scope="fragment")
    typed = st.text_input("Lead again (a lead key from this panel)", key=ROOM_KEY, max_chars=60)
    if typed:
        rooms.resume(session, typed)
        # the whole page (the dialog closes): its run sends the class this tab's view and says it leads
        st.rerun()
