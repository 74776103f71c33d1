"""Slides files and the lecture pack: shipped deck, bad files named by line, the pack on disk."""

import os
import re
import subprocess
import sys
from urllib.parse import urlencode

import pytest

from app.lecture import slides
from app.lecture.export import write_pack
from app.pages import PAGES
from tests.app.conftest import charts, run_page, shown_text, title


def test_the_shipped_deck_walks_through_the_lecture_notes():
    deck = slides.shipped_deck("mask-schemes")
    assert len(deck.slides) >= 6
    assert {s.page for s in deck.slides} >= {"masks", "attention", "cross"}
    assert deck.slides[2].params == {"scheme": "causal", "c1_op": "and", "c1_scheme": "padding", "c1_side": "left"}


def test_a_deck_added_or_edited_while_the_server_runs_is_read_again(tmp_path, monkeypatch):
    """Decks are parsed once, not on every run; a new or changed file is still seen at once."""
    monkeypatch.setattr(slides, "SHIPPED", tmp_path)
    deck = tmp_path / "intro.toml"
    deck.write_text('title = "First"\n[[slide]]\ntitle = "one"\npage = "masks"\n', encoding="utf-8")
    assert slides.shipped() == ["intro"]
    assert slides.shipped_deck("intro").title == "First"
    assert slides.shipped_deck("intro") is slides.shipped_deck("intro")  # read once
    deck.write_text('title = "Edited"\n[[slide]]\ntitle = "one"\npage = "masks"\n', encoding="utf-8")
    os.utime(deck, ns=(deck.stat().st_atime_ns, deck.stat().st_mtime_ns + 1_000_000))
    assert slides.shipped_deck("intro").title == "Edited"
    (tmp_path / "more.toml").write_text(deck.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(tmp_path, ns=(tmp_path.stat().st_atime_ns, tmp_path.stat().st_mtime_ns + 1_000_000))
    assert slides.shipped() == ["intro", "more"]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_page_a_slide_can_name_opens(page):
    """One list of pages (app/pages.py) makes both the navigation and the slides' page names."""
    slide = slides.Slide("a slide", page.name, {})
    at = run_page(slide.page)
    assert not at.exception, [e.value for e in at.exception]
    assert slide.url_path == ("./" if page == PAGES[0] else page.name)  # the first page is the app's root


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('title = "x"\n[[slide]]\ntitle = "a"\npage = "masks"\nparams = { scheme = }\n', r"not valid TOML: .*line 5"),
        (
            'title = "x"\n\n[[slide]]\ntitle = "a"\npage = "nowhere"\n',
            r"line 3 \(slide 1\): page must be one of home, masks",
        ),
        ('[[slide]]\ntitle = "a"\npage = "masks"\n[[slide]]\npage = "masks"\n', r"line 4 \(slide 2\): title must be"),
        (
            '[[slide]]\ntitle = "a"\npage = "masks"\nparams = { scheme = [1, 2] }\n',
            r"params must be a table of strings",
        ),
        ('title = "nothing"\n', r"no \[\[slide\]\] tables"),
    ],
)
def test_bad_slide_files_name_the_line_and_the_problem(tmp_path, text, message):
    path = tmp_path / "deck.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        slides.load(path)


def test_a_link_opens_the_step_with_its_title_caption_previous_and_next():
    deck = slides.shipped_deck("mask-schemes")
    at = run_page("masks", **deck.query("mask-schemes", 1))
    assert [h.value for h in at.subheader] == [deck.slides[1].title]
    assert f"{deck.slides[1].caption}  \nSlide 2 of {len(deck.slides)} · {deck.title}" in [c.value for c in at.caption]
    links = {link.proto.label: link.proto for link in at.get("page_link")}
    assert links["◀ Previous"].page == "masks"
    assert links["◀ Previous"].query_string == urlencode(deck.query("mask-schemes", 0))
    assert links["Next ▶"].page == "masks" and "step=3" in links["Next ▶"].query_string
    assert "c1_scheme=padding" in links["Next ▶"].query_string


def test_previous_and_next_show_their_arrow_and_no_page_icon():
    """st.page_link shows the target page's icon unless told otherwise: Next onto the Attention page
    showed its eye beside the arrow. The arrow in the label is the only sign."""
    deck = slides.shipped_deck("mask-schemes")
    k = next(k for k in range(1, len(deck.slides) - 1) if deck.slides[k + 1].page != deck.slides[k].page)
    at = run_page(deck.slides[k].page, **deck.query("mask-schemes", k))
    icons = {link.proto.label: link.proto.icon for link in at.get("page_link")}
    assert {label: icons.get(label) for label in ("◀ Previous", "Next ▶")} == {"◀ Previous": "", "Next ▶": ""}


@pytest.mark.parametrize("k", [2, 4, 5], ids=["masks", "masks-unilm", "attention"])
def test_a_link_that_names_only_the_step_draws_the_steps_view(k):
    """`?slides=NAME&step=K` alone (a hand-made link): the slide's title over the slide's own view,
    not over the page's default one; a value the link gives still wins."""
    deck = slides.shipped_deck("mask-schemes")
    slide = deck.slides[k]
    full = charts(run_page(slide.page, **deck.query("mask-schemes", k)))
    bare = run_page(slide.page, slides="mask-schemes", step=str(k + 1))
    assert not bare.exception and [h.value for h in bare.subheader] == [slide.title]
    assert [title(f) for f in charts(bare)] == [title(f) for f in full]


def test_a_value_in_a_step_link_wins_over_the_slides():
    at = run_page("masks", slides="mask-schemes", step="3", scheme="full")
    assert title(charts(at)[0]).startswith("full")


@pytest.mark.parametrize(
    ("params", "named"),
    [({"slides": "../../etc/passwd"}, "`slides`"), ({"slides": "mask-schemes", "step": "99"}, "`step`")],
)
def test_bad_slide_links_warn(params, named):
    at = run_page("masks", **params)
    assert not at.exception and named in shown_text(at, kinds=("warning",))


def test_a_step_opened_on_another_page_says_where_it_is_and_shows_no_slide_title():
    """A hand-made link to slide 6 (an Attention slide) on the Masks page once put that slide's title
    over a plain causal mask: the page now says where the slide is, with a link to it."""
    deck = slides.shipped_deck("mask-schemes")
    k = next(k for k, slide in enumerate(deck.slides) if slide.page != "masks")
    at = run_page("masks", slides="mask-schemes", step=str(k + 1))
    assert not at.exception and deck.slides[k].title not in [h.value for h in at.subheader]
    warning = shown_text(at, kinds=("warning",))
    page = next(p for p in PAGES if p.name == deck.slides[k].page)
    assert f"Slide {k + 1} of mask-schemes is on the {page.title} page" in warning
    assert f"]({deck.slides[k].url_path}?{urlencode(deck.query('mask-schemes', k))})" in warning


def test_the_pack_writes_every_view_and_an_index_that_links_them(tmp_path):
    deck = slides.shipped_deck("mask-schemes")
    written = write_pack(deck, tmp_path, images=False)
    index = (tmp_path / "index.html").read_text()
    pages = sorted(tmp_path.glob("*.html"))
    assert len(pages) == len(deck.slides) + 1 and (tmp_path / "plotly.min.js").stat().st_size > 1_000_000
    for page in pages:
        if page.name != "index.html":
            assert f"href='{page.name}'" in index
            assert '<script charset="utf-8" src="plotly.min.js"></script>' in page.read_text()
    assert len(re.findall(r"<li>", index)) == len(deck.slides) and tmp_path / "index.html" in written


def test_the_pack_command_refuses_a_bad_file_naming_the_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[slide]]\ntitle = "a"\npage = "nowhere"\n')
    result = subprocess.run(
        [sys.executable, "-m", "app.lecture.export", str(bad), str(tmp_path / "out")], capture_output=True, text=True
    )
    assert result.returncode == 2 and "line 1 (slide 1): page must be one of" in result.stderr


@pytest.mark.parametrize("value", ["", "   ", "①"])
def test_the_pack_command_names_a_slide_whose_link_is_bad_and_writes_nothing(tmp_path, value):
    deck = tmp_path / "deck.toml"
    deck.write_text(
        '[[slide]]\ntitle = "fine"\npage = "masks"\n'
        f'[[slide]]\ntitle = "broken"\npage = "attention"\nparams = {{ model = "{value}" }}\n'
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "app.lecture.export", str(deck), str(out), "--no-images"], capture_output=True, text=True
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "slide 2 (broken)" in result.stderr and "`model`" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [deck]  # no half-written pack, no leftovers


def test_a_deck_too_large_to_run_is_refused_before_it_runs(tmp_path):
    path = tmp_path / "deck.toml"
    path.write_text('[[slide]]\ntitle = "a"\npage = "masks"\n' * (slides.MAX_SLIDES + 1))
    with pytest.raises(ValueError, match=f"at most {slides.MAX_SLIDES} slides"):
        slides.load(path)
    path.write_text("# " + "x" * slides.MAX_BYTES)
    with pytest.raises(ValueError, match="at most"):
        slides.load(path)
