"""Helpers to run pages with AppTest and read what they drew."""

import base64
import html
import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.code_element import NAME as CODE
from app.figure_element import NAME, figures_drawn
from app.lecture.export import opened
from app.pages import HOME


def charts(at: AppTest) -> list[dict]:
    """The Plotly figures a run drew, as the JSON the browser receives."""
    return figures_drawn(at)


def elements(at: AppTest) -> list[dict]:
    """What each figure element of the run was sent (its figure, a view's heads, the pickers)."""
    sent = [element.proto for element in at.get("bidi_component")]
    return [json.loads(proto.bytes) for proto in sent if proto.component_name == NAME]


def code_shown(at: AppTest) -> list[str]:
    """The code blocks a run showed (app/code_element.py), each as a reader copies it."""
    sent = [element.proto for element in at.get("bidi_component")]
    return [proto.bytes.decode() for proto in sent if proto.component_name == CODE]


def head_view(at: AppTest) -> dict:
    """The view of one head: its figure, the head drawn, and every head's frame for the browser."""
    return next(sent for sent in elements(at) if "heads" in sent)


def head_notes(at: AppTest) -> str:
    """The sentence the page shows under the head drawn (or beside its pickers on a projector)."""
    drawn = ",".join(map(str, head_view(at)["heads"]["drawn"]))
    return "\n".join(
        sent["settings"]["notes"][drawn] for sent in elements(at) if drawn in sent["settings"].get("notes", {})
    )


def as_array(value) -> np.ndarray:
    """A figure's data array as NumPy: Plotly sends typed arrays as {dtype, bdata, shape}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(n) for n in str(value.get("shape", len(flat))).split(",")]
        return flat.reshape(shape)
    return np.array([[np.nan if v is None else v for v in row] for row in value], dtype=float)


def title(figure: dict) -> str:
    """The title and its subtitle as a person reads them (Plotly shows HTML entities as characters)."""
    title = figure["layout"]["title"]
    return html.unescape(" ".join([title["text"], *([title["subtitle"]["text"]] if "subtitle" in title else [])]))


def run_page(page: str = HOME, timeout: float = 60, **params) -> AppTest:
    """Open the app at `page` (a name in app/pages.py: "masks", "attention"...) with these link
    parameters, as a browser opening the link would."""
    return opened(page, params, timeout)


def shown_text(at: AppTest, kinds=("warning", "info", "error", "markdown", "caption")) -> str:
    """What the page says in words, Markdown escapes removed (as a reader sees it), the sentence under
    a head with the captions."""
    parts = [str(el.value) for kind in kinds for el in at.get(kind)]
    if "caption" in kinds and any("heads" in sent for sent in elements(at)):
        parts.append(head_notes(at))
    return re.sub(r"\\(.)", r"\1", "\n".join(parts))


def drawn(at) -> tuple:
    """What the page draws: each figure's title and data, and what it says (the attention page names
    its mask in a caption)."""
    assert not at.exception, at.exception[0].value
    return [(title(f), [trace.get("z") for trace in f["data"]]) for f in charts(at)], shown_text(at)


def address(at) -> dict[str, str]:
    """The link parameters the address bar holds after the run (a key given twice: its last value)."""
    return {key: value if isinstance(value, str) else value[-1] for key, value in at.query_params.items()}


def click(at, key: str, option: str, default: str) -> None:
    """A click on a pill, as the browser makes it: the browser writes the new value in the address
    bar (or leaves the key out at its default), then the page reruns with it."""
    if option == default:
        at.query_params.pop(key, None)
    else:
        at.query_params[key] = option
    at.pills(key=key).set_value(option).run()


@pytest.fixture
def masks_page():
    def open_masks(**params) -> AppTest:
        return run_page("masks", **params)

    return open_masks


def luminance(colour: str) -> float:
    """WCAG relative luminance of a #RRGGBB colour."""
    channels = [int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #RRGGBB colours (4.5 is the least for text, 3 for large text and marks)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
