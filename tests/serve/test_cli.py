"""`python -m serve`'s arguments: a wrong one is refused with what it takes, before anything starts."""

from __future__ import annotations

import pytest

from serve.__main__ import parse_args


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--port", "0"], "--port must be a whole number from 1 to 65535 (got '0')"),
        (["--port", "８０８０"], "--port must be a whole number from 1 to 65535 (got '８０８０')"),
        (["--replicas", "-1"], "--replicas must be a whole number from 1 to 64 (got '-1')"),
        (["--replicas", "99999999999999999999"], "--replicas must be a whole number from 1 to 64"),
        (["--upstreams", "10.0.0.2"], "--upstreams takes HOST:PORT entries (got '10.0.0.2')"),
        (["--upstreams", "a:1;rm -rf /"], "--upstreams takes HOST:PORT entries"),
        (["--app", "nowhere.py"], "--app takes a Python file that exists"),
        (["--app", "README.md"], "--app takes a Python file that exists"),
    ],
)
def test_a_wrong_argument_is_refused_with_what_it_takes(arguments, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(arguments)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_the_app_defaults_to_the_real_one():
    assert parse_args([]).app.name == "streamlit_app.py"
