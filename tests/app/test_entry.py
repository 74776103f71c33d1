"""The entry script (app/streamlit_app.py) runs again for every run of every session."""

import logging
import sys
import threading
import time

import pytest

from app import process
from app.pages import PAGES
from app.process import one_run_at_a_time
from tests.app.conftest import run_page


def test_runs_leave_the_import_path_as_the_first_run_left_it():
    run_page("masks")  # the first run puts the repo on the path (`streamlit run` from any folder)
    path = list(sys.path)
    for page in ("masks", "attention", "home"):
        run_page(page)
    assert sys.path == path  # a server grows nothing per run: a class clicks thousands of times


def test_a_run_computes_once_the_run_before_it_has_finished(caplog):
    """One session's run at a time (app/process.py): a run that comes while another computes waits for
    it; once that one has computed for the time allowed, the waiting go ahead, the server's log says so."""
    caplog.set_level(logging.WARNING, logger="app.process")
    seen = []
    with one_run_at_a_time() as first:

        def second():
            with one_run_at_a_time(wait=0.05) as turn:
                seen.append(turn)

        other = threading.Thread(target=second)
        other.start()
        other.join()
    assert first and seen == [False]
    assert "the runs waiting go ahead beside it" in caplog.text
    with one_run_at_a_time(wait=0) as turn:  # the first run's turn ended with it
        assert turn


def test_a_class_waits_in_line_however_long_the_line(caplog):
    """Forty runs of 0.05 s arriving at once take 2 s in all, twice what each may wait for the run
    computing: none goes ahead of its turn, for no run was long."""
    caplog.set_level(logging.WARNING, logger="app.process")
    turns, inside, most = [], [], []

    def run():
        with one_run_at_a_time(wait=1.0) as turn:
            inside.append(1)
            most.append(len(inside))
            time.sleep(0.05)  # computing
            inside.pop()
        turns.append(turn)

    runs = [threading.Thread(target=run) for _ in range(40)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()
    assert turns == [True] * 40 and max(most) == 1
    assert "go ahead" not in caplog.text


LINKS = [(page.name, {}) for page in PAGES] + [("attention", {"head": "99"}), ("cross", {"source": ""})]  # + bad ones


@pytest.mark.parametrize(("page", "params"), LINKS)
def test_every_page_run_takes_a_turn_and_ends_it(monkeypatch, caplog, page, params):
    caplog.set_level(logging.WARNING, logger="app.process")
    monkeypatch.setattr(process, "RUN_WAIT", 0.05)
    with one_run_at_a_time():  # another session's run, computing
        at = run_page(page, **params)
    assert not at.exception and "go ahead beside it" in caplog.text  # it waited for its turn
    caplog.clear()
    run_page(page, **params)  # nobody else computing: its turn at once
    assert "go ahead" not in caplog.text
    with one_run_at_a_time(wait=0) as turn:  # a run that warned or stopped early ends its turn all the same
        assert turn
