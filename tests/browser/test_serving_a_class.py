"""`make serve REPLICAS=2`: nginx in front of two app processes, driven in Chromium.

nginx is Debian's (`apt-get install -y nginx`). Without it these tests skip with the reason,
unless REQUIRE_NGINX=1 (CI) makes them fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from urllib.parse import urlencode

import psutil
import pytest
from playwright.sync_api import expect

import app.pages
from app.pages import HOME
from app.state import LINK_LIMIT
from tests.browser.conftest import ARTIFACTS, wait_for_app
from tests.server import ROOT, free_port, need_nginx

PAGES = ["" if page.name == HOME else page.name for page in app.pages.PAGES]


@pytest.fixture(scope="module")
def served():
    """`make serve REPLICAS=2 PORT=...` as an operator starts it; stopped as Ctrl-C stops it."""
    need_nginx()
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "make-serve.log", "wb")  # noqa: SIM115 (written by make until it stops)
    make = subprocess.Popen(
        ["make", "serve", "REPLICAS=2", f"PORT={port}"], cwd=ROOT, stdout=log, stderr=log, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300  # it warms every replica first (about 25 s here)
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                if reply.read() == b"ok":
                    break
        except OSError:
            assert make.poll() is None, (ARTIFACTS / "make-serve.log").read_text()[-2000:]
            time.sleep(0.5)
    yield base, make
    if make.poll() is None:
        os.killpg(make.pid, signal.SIGINT)
        make.wait(timeout=30)


def open_page(context, url: str):
    """A page of a fresh browser context (a new student), opened and waited on; the replicas that
    answered its requests (nginx names them in X-Replica), from the health check on: its answer
    sets the cookie nginx keys on (the page and its scripts come before it, without one)."""
    page = context.new_page()
    answers = []
    page.on("response", lambda response: answers.append((response.url, response.headers.get("x-replica"))))
    page.goto(url)
    wait_for_app(page)

    def replicas() -> list[str]:
        first = next(k for k, (url, _) in enumerate(answers) if "/_stcore/health" in url)
        return [replica for _, replica in answers[first + 1 :] if replica]

    return page, replicas


def test_every_page_opens_through_nginx_and_a_session_stays_on_its_replica(chromium, served):
    base, _ = served
    seen = set()
    for path in PAGES:
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        page, replicas = open_page(context, f"{base}/{path}")
        assert page.get_by_test_id("stException").count() == 0
        assert page.locator(".js-plotly-plot").count() >= 1
        if path == "masks":  # a rerun over the session's websocket, then the same browser again
            page.get_by_role("radiogroup", name="Mask scheme").get_by_role("radio", name="padding").click()
            expect(page.locator(".js-plotly-plot .gtitle").first).to_contain_text("padding")
            page.reload()
            wait_for_app(page)
        assert len(set(replicas())) == 1, replicas()  # with its cookie, a browser stays on one replica
        page.screenshot(path=ARTIFACTS / f"serve-{path or 'home'}.png")
        context.close()
    # new browsers are placed on the replicas in turn
    for _ in range(4):
        context = chromium.new_context()
        seen.add(context.request.get(f"{base}/_stcore/health").headers["x-replica"])
        context.close()
    assert len(seen) == 2, seen


def test_a_link_as_long_as_the_app_allows_opens_through_nginx(served):
    """nginx's default header buffers (8 KB) answered 414 to a long sentence's link."""
    base, _ = served
    query = urlencode({"text": "a," * (LINK_LIMIT // 4)})
    with urllib.request.urlopen(f"{base}/masks?{query}", timeout=30) as reply:
        assert reply.status == 200


def test_plotly_comes_compressed_and_kept_for_a_year_through_nginx(served):
    """A class's first visits each fetch plotly.js: nginx compresses it and lets browsers keep it."""
    from app.figure_element import PLOTLY

    base, _ = served
    request = urllib.request.Request(f"{base}/app/static/{PLOTLY}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        body = reply.read()
        assert reply.headers["Content-Encoding"] == "gzip" and len(body) < 600_000
        assert "max-age=31536000" in reply.headers["Cache-Control"]


def test_new_sessions_go_to_the_other_replica_when_one_is_killed_until_it_is_back_warm(chromium, served):
    base, make = served
    replicas = [p for p in psutil.Process(make.pid).children(recursive=True) if "serve.bounded" in p.cmdline()]
    assert len(replicas) == 2
    killed = replicas[0]
    address = f"127.0.0.1:{killed.cmdline()[killed.cmdline().index('--server.port') + 1]}"
    killed.kill()
    for k in range(4):  # new students, each with a new cookie: every other one would be placed on the dead replica
        context = chromium.new_context()
        page, _ = open_page(context, f"{base}/masks")
        assert page.get_by_test_id("stException").count() == 0
        assert page.locator(".js-plotly-plot").count() >= 1, f"student {k}"
        assert page.get_by_text("Connection error").count() == 0
        context.close()
    # supervisord starts it again on its port; serve warms it (the real app's imports) before nginx
    # sends it anyone; then new students are placed on it again
    log = ARTIFACTS / "make-serve.log"
    deadline = time.time() + 300
    while time.time() < deadline and f"{address} is back in rotation" not in log.read_text():
        time.sleep(0.5)
    assert f"Warmed replica {address} again in" in log.read_text(), log.read_text()[-3000:]
    for _ in range(40):  # new browsers until one is placed on it (every other one is)
        context = chromium.new_context()
        placed = context.request.get(f"{base}/_stcore/health").headers["x-replica"]
        if placed == address:
            page = context.new_page()
            page.goto(f"{base}/masks")
            wait_for_app(page)
            assert page.locator(".js-plotly-plot").count() >= 1
            context.close()
            break
        context.close()
    assert placed == address


def test_ctrl_c_stops_nginx_and_every_replica(served):
    _, make = served
    started = psutil.Process(make.pid).children(recursive=True)
    assert len(started) >= 6  # serve, supervisord, 2 replicas, nginx's master and worker
    os.killpg(make.pid, signal.SIGINT)
    make.wait(timeout=60)
    _, alive = psutil.wait_procs(started, timeout=30)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]  # zombies have exited
