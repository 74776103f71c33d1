"""The tab without a browser reads a run as a browser shows it once the run is over: a run cut short
for another (a follower moved to the lecturer's step while a run of its own went on) leaves nothing of
its page behind, except an exception it raised."""

from __future__ import annotations

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.follow.tab import Tab
from tests.streamlit_client import run


async def sent(*msgs: ForwardMsg):
    """The server's side of a session: the messages it sends, as the socket gives them."""
    for msg in msgs:
        yield msg.SerializeToString()


def said(body: str) -> ForwardMsg:
    msg = ForwardMsg()
    msg.delta.new_element.markdown.body = body
    return msg


def raised(message: str) -> ForwardMsg:
    msg = ForwardMsg()
    msg.delta.new_element.exception.type, msg.delta.new_element.exception.message = "ValueError", message
    return msg


def ended(status: int) -> ForwardMsg:
    msg = ForwardMsg()
    msg.script_finished = status
    return msg


def test_a_run_cut_short_for_another_leaves_only_the_other_runs_page_and_its_exceptions():
    tab = Tab("http://unused")
    tab._socket = sent(
        said("Cross-attention"),
        raised("in the run cut short"),
        ended(ForwardMsg.FINISHED_EARLY_FOR_RERUN),
        said("Masks"),
        ended(ForwardMsg.FINISHED_SUCCESSFULLY),
        said("the run after"),
    )
    drawn = run(tab.drawn())
    assert drawn.texts == ["Masks"]
    assert drawn.exceptions == ["ValueError: in the run cut short"]
