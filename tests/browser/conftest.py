"""Browser tests: the app started as a server, driven by Playwright in a real Chromium.

Chromium is Debian's (`apt-get install -y chromium`); Playwright's own download does not work
here. Without it these tests skip with the reason, unless REQUIRE_BROWSER=1 (CI) makes them fail.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from app.chromium import CHROMIUM_ARGS, chromium_path
from tests.server import ROOT, free_port, start_app

ARTIFACTS = ROOT / "tests" / "artifacts"

# what a page shows after a click may take seconds while the other test workers, the servers and
# Chromium share two cores: Playwright's 5 s is too short a wait for an assertion about the page
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def chromium():
    # Chromium's headless shell first (what Playwright itself runs headless: the same engine without
    # the desktop browser around it, about half the CPU per page load here), else the desktop Chromium
    path = chromium_path(("chromium-headless-shell", "chromium"))
    if path is None:
        reason = "no Chromium found (apt-get install -y chromium-headless-shell)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(reason + ", and REQUIRE_BROWSER is set")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield Tracked(browser)
        browser.close()


class Tracked:
    """The browser, each of whose contexts keeps the record of script runs `wait_for_app` waits on."""

    def __init__(self, browser):
        self._browser = browser

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.add_init_script(TRACK_RUNS)
        context.tracks_runs = True
        return context


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


# modebar buttons that would send a figure to another host (plotly.js 4 shows "Share chart...", an
# upload to Plotly Cloud, unless told not to) or link to one (the Plotly logo)
ELSEWHERE = ".modebar-btn[data-title^='Share chart'], .modebar-btn[data-title*='Cloud'], a.modebar-btn[href]"


PHONE = {"width": 390, "height": 844}


def phone_page(chromium, url: str):
    """A page opened at `url` as on a phone (390 x 844, touch, 2 device pixels per pixel), its run
    over; close its context when done."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(url)
    wait_for_app(page)
    return page


def on_screen(label) -> bool:
    """Whether a hover label (Plotly's g.hovertext) lies within a phone's width: no word of it cut."""
    box = label.bounding_box()
    return box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def wait_for_app(page) -> None:
    """Wait until the page is settled: every run it asked for has finished, nothing is left to draw
    or fit, and a click or key that starts no run (a head switched in the page) has had its time."""
    if getattr(page.context, "tracks_runs", False):
        try:
            page.wait_for_function(SETTLED)
        except PlaywrightTimeout as timeout:
            raise AssertionError(f"the page did not settle: {page.evaluate(UNSETTLED)}") from timeout
        return
    # a page without the record (the benchmarks' own browsers): the way Streamlit's own end-to-end
    # suite waits: a fixed time for the run to start, then connected, script done, no skeleton
    page.wait_for_timeout(210)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(state="attached")
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(state="attached")
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    page.wait_for_function(DRAWN)


# every figure element has drawn what the run sent it (app/static/figure.js)
DRAWN = """() => [...document.querySelectorAll('.stBidiComponent [data-testid="stBidiComponentRegular"]')]
  .every((element) => element.dataset.maskLabState === "drawn")"""

# The page's record of its script runs, from Streamlit's websocket messages (protobuf; the field
# numbers are streamlit.proto's BackMsg and ForwardMsg): a run asked for (BackMsg rerun_script), a run
# started (ForwardMsg new_session) and finished (script_finished, but not "early for a rerun"); when a
# person last pressed, clicked or typed, and the address last changed; and whether the page was
# loaded in presentation mode (app/browser.js loads it again once the address says the other). A
# slider tells the server 200 ms after it is let go, and a head picked in the page asks for no run:
# what a person did that has asked for no run yet gets SETTLE_MS.
SETTLE_MS = 250
TRACK_RUNS = """(() => {
  const presenting = () => new URLSearchParams(location.search).get("present") === "true";
  const runs = window.maskLabRuns = {pending: false, started: false, finished: 0, asked: 0,
    askedAtInput: 0, input: -1e9, changed: -1e9, href: location.href, hrefFinished: null,
    presenting, presentingLoaded: presenting()};
  const varint = (bytes, at) => {
    let value = 0, scale = 1, byte;
    do { byte = bytes[at.i++]; value += (byte & 127) * scale; scale *= 128; } while (byte & 128);
    return value;
  };
  const fields = (bytes) => {  // a message's top-level fields: number -> varint value, or true
    const at = {i: 0}, found = new Map();
    while (at.i < bytes.length) {
      const tag = varint(bytes, at), number = Math.floor(tag / 8), type = tag % 8;
      if (type === 0) { found.set(number, varint(bytes, at)); continue; }
      if (type === 2) { const length = varint(bytes, at); at.i += length; }
      else if (type === 1) at.i += 8;
      else if (type === 5) at.i += 4;
      else break;
      found.set(number, true);
    }
    return found;
  };
  const bytesOf = (data) => data instanceof ArrayBuffer ? new Uint8Array(data)
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const bytes = bytesOf(event.data);
        if (!bytes) return;
        const message = fields(bytes), status = message.get(6);
        if (message.has(4) && runs.pending) runs.started = true;
        // a run cut short: the run that cut it is coming (asked for here, or by the server: a page switch)
        if (status === 2) { runs.pending = true; runs.started = false; return; }
        // a run's end, unless it is a run from before the one asked for
        if (status === undefined || (runs.pending && !runs.started)) return;
        runs.pending = runs.started = false;
        runs.finished += 1;
        runs.hrefFinished = location.href;
      });
    }
    send(data) {
      const bytes = bytesOf(data);
      if (bytes && fields(bytes).has(11)) { runs.asked += 1; runs.pending = true; runs.started = false; }
      return super.send(data);
    }
  };
  for (const type of ["pointerdown", "keydown"]) {
    addEventListener(type, (event) => { if (event.isTrusted) runs.askedAtInput = runs.asked; }, true);
  }
  for (const type of ["pointerdown", "pointerup", "keydown", "keyup", "input", "change"]) {
    addEventListener(type, (event) => { if (event.isTrusted) runs.input = performance.now(); }, true);
  }
  const moved = () => {
    if (location.href !== runs.href) { runs.href = location.href; runs.changed = performance.now(); }
  };
  for (const name of ["pushState", "replaceState"]) {
    const native = history[name].bind(history);
    history[name] = (...args) => { const result = native(...args); moved(); return result; };
  }
  addEventListener("popstate", moved, true);
})()"""

# why the page is not settled yet ("" once it is)
UNSETTLED = f"""() => {{
  const runs = window.maskLabRuns, app = document.querySelector('[data-testid="stApp"]'), now = performance.now();
  if (!runs || !app) return "no app yet";
  if (runs.pending) return "a run asked for has not finished";
  if (runs.finished === 0) return "no run has finished";
  if (runs.presenting() !== runs.presentingLoaded) return "the page is to load again in the other layout";
  if (!window.maskLabFit) return "app/browser.js has not run";
  if (app.dataset.testConnectionState !== "CONNECTED") return "not connected";
  if (app.dataset.testScriptState !== "notRunning") return "a run goes on";
  if (runs.asked === runs.askedAtInput && now - runs.input < {SETTLE_MS}) return "an input asked for no run yet";
  if (location.href !== runs.hrefFinished && now - runs.changed < {SETTLE_MS}) return "the address moved since the run";
  if (document.querySelector('[data-testid="stSkeleton"]')) return "a skeleton is shown";
  if (!({DRAWN})()) return "a figure element is drawing";
  const unfitted = [...document.querySelectorAll(".mask-lab-figure")].filter((figure) => !figure.maskLabFitted);
  return unfitted.length ? `${{unfitted.length}} figures not fitted to the screen` : "";
}}"""

# Settled, and still so three animation frames and QUIET_MS later: the last run's elements reach the
# page's figure element after the run's end is shown (React hands it new data in an effect)
QUIET_MS = 50
SETTLED = f"""() => {{
  const runs = window.maskLabRuns;
  if (!runs || ({UNSETTLED})()) {{ if (runs) runs.quiet = null; return false; }}
  runs.quiet ??= {{since: performance.now(), frames: 0}};
  runs.quiet.frames += 1;
  return runs.quiet.frames > 3 && performance.now() - runs.quiet.since >= {QUIET_MS};
}}"""


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
