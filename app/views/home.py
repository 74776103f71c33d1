"""Home: what this is, and every scheme as a small heatmap of the same sentence."""

import streamlit as st

import masks
from app import figures
from app.cache import MiB, bounded
from app.lecture.stage import Lecture
from app.pages import BY_NAME, PAGES
from app.state import Link
from app.text import DEFAULT_SOURCE, DEFAULT_TEXT
from model.tokenizer import split_words


@bounded(max_bytes=16 * MiB, max_entries=1)
def gallery() -> dict:
    """Every scheme's thumbnail for the example sentence: the same for every visitor, built once and
    handed out as is (st.cache_data would unpickle a copy of all 13 figures on every visit)."""
    tokens, source = split_words(DEFAULT_TEXT), split_words(DEFAULT_SOURCE)
    thumbnails = {}
    for name, scheme in masks.SCHEMES.items():
        kv_len = len(source) if name == "cross" else len(tokens)
        pred = masks.predicate(name, len(tokens), kv_len, **scheme.defaults_for(len(tokens), kv_len))
        _, _, parameters = pred.name.partition("(")
        thumbnails[name] = figures.thumbnail(pred.build(), name, parameters.removesuffix(")"))
    return thumbnails


def show() -> None:
    lecture = Lecture(Link(), "Attention mask lab", staged=False)
    st.markdown(
        "A mask decides which keys each query may attend to: **rows are queries, columns are keys**.  \n"
        "Here every mask scheme has one exact meaning, shown on real tokens, in every library's convention.  \n"
        "Pick a scheme below to open it in the explorer; every view is a link you can share or put in a slide."
    )
    # the other pages, each with what it shows: the gallery below only leads to the Masks page
    for column, page in zip(st.columns(len(PAGES) - 1), PAGES[1:], strict=True):
        column.page_link(page.target())
        column.caption(page.summary)
    st.subheader(f"Every scheme, one sentence: “{DEFAULT_TEXT}”")
    explorer = BY_NAME["masks"].target()
    per_row = 2 if lecture.presenting else 4  # a projector's titles are large: two to a row
    for k, (name, thumbnail) in enumerate(gallery().items()):
        scheme = masks.SCHEMES[name]
        if k % per_row == 0:  # a row of columns at a time: a phone stacks them in reading order
            columns = st.columns(per_row)
        with columns[k % per_row]:
            lecture.show(
                thumbnail,
                config={"staticPlot": True},
                key=f"thumb_{name}",
                alt=f"{name} mask: {scheme.summary}",
            )
            params = {"scheme": name, **({"source": DEFAULT_SOURCE} if name == "cross" else {})}
            st.page_link(explorer, label=f"Open {name}", icon=":material/open_in_new:", query_params=params)
            st.caption(scheme.summary)
    lecture.share()
