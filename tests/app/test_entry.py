"""The entry script (app/streamlit_app.py) runs again for every run of every session."""

import sys

from tests.app.conftest import run_page


def test_runs_leave_the_import_path_as_the_first_run_left_it():
    run_page("masks")  # the first run puts the repo on the path (`streamlit run` from any folder)
    path = list(sys.path)
    for page in ("masks", "attention", "home"):
        run_page(page)
    assert sys.path == path  # a server grows nothing per run: a class clicks thousands of times
