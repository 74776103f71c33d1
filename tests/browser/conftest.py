"""Browser tests: the app started as a server, driven by Playwright in a real Chromium.

Chromium is Debian's (`apt-get install -y chromium`); Playwright's own download does not work
here. Without it these tests skip with the reason, unless REQUIRE_BROWSER=1 (CI) makes them fail.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from app.chromium import CHROMIUM_ARGS, chromium_path
from tests.server import ROOT, free_port, start_app

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if path is None:
        reason = "no Chromium found (apt-get install -y chromium)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(reason + ", and REQUIRE_BROWSER is set")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def app_url(chromium):
    port = free_port()
    process = start_app(ROOT / "app" / "streamlit_app.py", port)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def page(chromium, request):
    """A fresh page; its screenshot is saved under tests/artifacts/ whatever the outcome."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


def wait_for_app(page) -> None:
    """Wait the way Streamlit's own end-to-end suite does: connected, script done, no skeleton."""
    from playwright.sync_api import expect

    page.wait_for_timeout(210)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(state="attached")
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(state="attached")
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    # and every figure element has drawn what the run sent it (app/static/figure.js)
    page.wait_for_function(DRAWN)


DRAWN = """() => [...document.querySelectorAll('.stBidiComponent [data-testid="stBidiComponentRegular"]')]
  .every((element) => element.dataset.maskLabState === "drawn")"""


# counts the app's script runs from now on (Streamlit marks the app element while a run goes)
COUNT_RUNS = """() => {
  window.__runs = 0;
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'running') window.__runs += 1; })
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def picked(page, label: str) -> str:
    """The option a pills control shows as chosen."""
    group = page.get_by_role("radiogroup", name=label, exact=True)
    return group.locator("[role=radio][aria-checked=true]").text_content()


# Every message from the server handed to the page this many ms after the one before: a run's
# elements then reach the page spread out, as on a slow connection or from a busy server
SPREAD = """(gap) => { const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    addEventListener(type, listener, options) {
      if (type !== 'message') return super.addEventListener(type, listener, options);
      let queue = Promise.resolve();
      const late = (event) => { queue = queue.then(() => new Promise((done) =>
        setTimeout(() => { listener.call(this, event); done(); }, gap))); };
      return super.addEventListener(type, late, options);
    }
  };
}"""


def spread_messages(page, gap_ms: int = 30) -> None:
    """From the next page load on, the server's messages reach the app `gap_ms` apart."""
    page.add_init_script(f"({SPREAD})({gap_ms})")


def open_share_dialog(page):
    """The share dialog, once it has run again with the page's address: it asks the page for it (a head
    picked in the browser), and its second run draws its links and buttons anew (a click on the first
    run's button can land on one being replaced)."""
    page.get_by_role("button", name="Share this view").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("[data-mask-lab-state=drawn]").wait_for(state="attached")
    wait_for_app(page)
    return dialog


def shared_view_link(page) -> str:
    """The view link the share dialog gives, the dialog closed again as the lecturer left it."""
    link = open_share_dialog(page).get_by_test_id("stCode").first.text_content()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    return link
