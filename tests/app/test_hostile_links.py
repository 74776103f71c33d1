"""Links anyone can edit: every parameter of every page, given an empty, blank, Unicode-digit or
4,400-digit value, gets its default and a warning that names it, never a traceback and never `None`."""

from __future__ import annotations

import pytest

import app.pages
import masks
from app.text import quoted
from tests.app.conftest import address, drawn, run_page, shown_text

# "²" passes str.isdigit() and then fails in int(); int() refuses more than 4,300 digits, and Streamlit
# reads them as a float, infinity, which it cannot make an int
BAD = ["", "   ", "²", "①", "9" * 4400]
WIDGETS = ("pills", "number_input", "toggle")  # text boxes take any text, so only these can be wrong
PAGES = {page.name: page.name for page in app.pages.PAGES}
# views that between them show every control of every page
CONTEXTS = [
    ("home", {}),
    ("masks", {}),
    ("masks", {"input": "length"}),
    ("masks", {"view": "compare"}),
    ("masks", {"view": "unilm", "scheme": "prefix_lm"}),  # two controls once shared the key "prefix"
    ("masks", {"tab": "Windows", "scheme": "causal"}),
    ("masks", {"c1_op": "and", "c2_op": "or"}),
    *[("masks", {"scheme": name}) for name in masks.SCHEMES if masks.SCHEMES[name].params],
    ("attention", {}),
    ("attention", {"model": "random"}),
    ("attention", {"mask": "custom"}),
    ("attention", {"model": "minilm-l6", "mask": "custom"}),  # a real model's own controls (role_at, seq...)
    *[("attention", {"view": view}) for view in ("pipeline", "aggregate", "lines", "shapes")],
    ("cross", {}),
    ("cross", {"model": "random"}),
    *[("cross", {"view": view}) for view in ("pipeline", "lines")],
    ("normalization", {}),
    ("block", {}),
    ("block", {"model": "random"}),
    ("block", {"mask": "custom"}),
    ("block", {"train": "true"}),
]


# Home binds these too: AppTest opens Home first with the link, and the next page keeps Home's state
# of them (a browser opening the link directly checks them: tests/sessions/test_hostile_sessions.py)
HOME_KEYS = {"present"}


def bound_keys(at, page: str) -> set[str]:
    keys = {w.key for kind in WIDGETS for w in at.get(kind) if w.key}
    return keys if page == "home" else keys - HOME_KEYS


def assert_survived(at, where: str) -> str:
    assert not at.exception, f"{where}: {at.exception[0].value}"
    text = shown_text(at)
    assert "`None`" not in text and "None." not in text, f"{where}: a warning offers None\n{text}"
    return text


def context_id(context) -> str:
    page, params = context
    return page + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.mark.parametrize("context", CONTEXTS, ids=context_id)
def test_every_control_of_a_view_survives_bad_values(context):
    page, params = context
    keys = sorted(bound_keys(run_page(PAGES[page], **params), page) - set(params))
    assert keys, "the view shows no control"
    for bad in BAD:
        at = run_page(PAGES[page], **params, **dict.fromkeys(keys, bad))
        text = assert_survived(at, f"{context_id(context)} with every control = {bad!r}")
        for key in bound_keys(at, page) & set(keys):
            assert f"`{key}` = {quoted(bad)}" in text, (
                f"{context_id(context)}: no warning names {key} = {bad!r}\n{text}"
            )


VIEW_KEYS = sorted({(page, key) for page, params in CONTEXTS for key in params} | {("home", "present")})


@pytest.mark.parametrize(("page", "key"), VIEW_KEYS, ids=[f"{p}-{k}" for p, k in VIEW_KEYS])
def test_the_controls_that_choose_a_view_survive_bad_values(page, key):
    for bad in BAD:
        at = run_page(PAGES[page], **{key: bad})
        text = assert_survived(at, f"{page}?{key}={bad!r}")
        if key in bound_keys(at, page):  # shown here (c2_op shows only after c1_op; tab is no such control)
            assert f"`{key}` =" in text, f"{page}?{key}={bad!r}: no warning names it\n{text}"


@pytest.mark.parametrize("bad", [*BAD, "0", "99"])
def test_a_bad_slide_step_opens_the_first_slide_with_a_warning(bad):
    at = run_page(PAGES["masks"], slides="mask-schemes", step=bad)
    text = assert_survived(at, f"step={bad!r}")
    assert "`step` =" in text and "Slide 1 of" in text


def test_a_square_only_scheme_on_unequal_lengths_says_so_and_draws_the_default():
    """`document` needs as many queries as keys: its own defaults cannot help, so the page says why
    and draws the default scheme instead of failing."""
    at = run_page("masks", scheme="document", input="length", n="5", kv_n="7")
    assert not at.exception, [e.value for e in at.exception]
    said = shown_text(at, kinds=("error", "warning"))
    assert "document needs q_len == kv_len" in said and "causal" in said


@pytest.mark.parametrize(
    ("page", "key", "values", "used"),
    [
        ("attention", "head", ["99", "3"], "3"),  # a held value (the browser's pickers)
        ("masks", "scheme", ["sliding_window", "causal"], "causal"),  # a choice
        ("masks", "n", ["7", "5"], "5"),  # a number
        ("attention", "view", ["pipeline", "lines", "grid"], "grid"),
    ],
)
def test_a_parameter_given_twice_takes_its_last_value_and_says_so(page, key, values, used):
    """One rule for every control: the last value, as a link read into a dict keeps it, and a warning
    naming the parameter (a link that says two things is a mistake its reader should see)."""
    at = run_page(page, **{key: values})
    text = assert_survived(at, f"{page}?{key}={values}")
    assert f"Link parameter `{key}` is given {len(values)} times; using the last, `{used}`." in text, text
    assert address(at).get(key, used) == used and not isinstance(at.query_params.get(key), list)
    assert f"`{key}` = " not in text  # the last value is a good one: nothing else to say about it
    alone = run_page(page, **{key: used})
    assert drawn(at)[0] == drawn(alone)[0]


@pytest.mark.parametrize(
    ("page", "key", "bad"),
    [
        ("attention", "head", "99"),  # held by the browser's pickers, not a widget
        ("attention", "layer", "-1"),
        ("cross", "head", "abc"),
        ("masks", "scheme", "nonsense"),  # a widget, for comparison
    ],
)
def test_a_bad_value_leaves_the_address_bar_so_copying_it_does_not_share_the_bad_link_again(page, key, bad):
    """The warning names the value and what is used instead; the address bar then holds what is drawn
    (the default: left out), as the share link does."""
    at = run_page(page, **{key: bad})
    text = assert_survived(at, f"{page}?{key}={bad}")
    assert f"Link parameter `{key}` = `{bad}` is not allowed" in text, text
    assert key not in address(at), address(at)
