"""Bad values opened straight from a link, as a browser opens it (no page switch before)."""

from __future__ import annotations

import pytest

from tests.streamlit_client import visit_at_once

PAGES = ["", "masks", "attention", "cross", "normalization"]  # "" is Home, at the root


@pytest.mark.parametrize("bad", ["", "   ", "①", "yes"])
def test_every_page_warns_about_a_bad_presentation_flag_and_goes_on(fresh_server, bad):
    with fresh_server() as server:
        visits = visit_at_once(server.url, [(page, f"present={bad}") for page in PAGES])
    for page, result in zip(PAGES, visits, strict=True):
        assert result.error is None and not result.exceptions, (page, result.error, result.exceptions)
        assert any(text.startswith("Link parameter `present` =") for text in result.texts), page
        assert result.charts or page == "", f"/{page} drew no figure"
