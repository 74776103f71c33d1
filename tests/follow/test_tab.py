"""The tab without a browser reads a run as a browser shows it once the run is over: a run cut short
for another (a follower moved to the lecturer's step while a run of its own went on), or followed by
another run's start, leaves nothing of its page behind, except an exception it raised."""

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


def started() -> ForwardMsg:
    msg = ForwardMsg()
    msg.new_session.SetInParent()
    return msg


def test_a_run_that_starts_leaves_only_its_own_page_whatever_ended_the_one_before():
    """Every run starts with `new_session`, and a browser shows at a run's end only what that run drew:
    a follower's run of its old view with no end seen before the lecturer's step (a Redis restart's
    catch-up, in one CI run) must not add the old view's figures to the step's."""
    tab = Tab("http://unused")
    tab._socket = sent(
        started(),
        said("Cross-attention"),
        started(),
        said("Masks"),
        ended(ForwardMsg.FINISHED_SUCCESSFULLY),
    )
    drawn = run(tab.drawn())
    assert drawn.texts == ["Masks"]
