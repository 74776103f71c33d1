"""Bad values opened straight from a link, as a browser opens it (no page switch before)."""

from __future__ import annotations

import pytest

from serve.visit import open_page
from tests.server import LOGS, ROOT, free_port, start_app
from tests.streamlit_client import run, visit_at_once

PAGES = ["", "masks", "attention", "cross", "normalization"]  # "" is Home, at the root


@pytest.mark.parametrize("bad", ["", "   ", "①", "yes"])
def test_every_page_warns_about_a_bad_presentation_flag_and_goes_on(fresh_server, bad):
    with fresh_server() as server:
        visits = visit_at_once(server.url, [(page, f"present={bad}") for page in PAGES])
    for page, result in zip(PAGES, visits, strict=True):
        assert result.error is None and not result.exceptions, (page, result.error, result.exceptions)
        assert any(text.startswith("Link parameter `present` =") for text in result.texts), page
        assert result.charts or page == "", f"/{page} drew no figure"


def test_an_exception_no_page_catches_shows_its_type_only_and_the_servers_log_has_it():
    """The served configuration (.streamlit/config.toml): a student never sees a message, a stack or a
    path of the server; the operator finds all of it in the log."""
    shown = []

    def read(msg):
        if msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
            shown.append(msg.delta.new_element.exception)

    port = free_port()
    process = start_app(ROOT / "tests" / "serve" / "broken_app.py", port)
    try:
        run(open_page(f"http://127.0.0.1:{port}", "cross", "", 60, read))  # the page broken_app.py breaks
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert len(shown) == 1 and shown[0].type == "RuntimeError"
    sent = f"{shown[0].message} {list(shown[0].stack_trace)} {shown[0].message_is_markdown}"
    assert "broken on purpose" not in sent and str(ROOT) not in sent and not shown[0].stack_trace
    log = (LOGS / f"server-{port}.log").read_text(encoding="utf-8", errors="replace")
    assert "this page is broken on purpose" in log and "broken_app.py" in log
