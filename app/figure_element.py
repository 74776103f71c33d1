"""Every figure of the app is shown by one element of ours: a Streamlit components v2 element that
draws a Plotly figure with plotly.js's cartesian bundle (heatmap, scatter, bar, image: all our
figures use; 1.5 MB, where st.plotly_chart's chunk carries all of Plotly, 4.7 MB).

The bundle ships in app/static/ (pinned, with its license; tests check its sha256): the browser
fetches it once by URL and caches it, and a clone works offline. A figure travels as the bytes of its
JSON, made once per figure and kept with it (app/cache.py, `figure_json`): the sessions of a class
showing one view share that work, and weight arrays go as Plotly's typed arrays, not JSON floats.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import streamlit as st

from app.cache import figure_json

STATIC = Path(__file__).resolve().parent / "static"  # served at /app/static (server.enableStaticServing)
PLOTLY_JS = "plotly-cartesian-4.1.1.min.js"  # npm plotly.js-cartesian-dist-min 4.1.1, MIT (plotly.js-LICENSE.txt)
PLOTLY_SHA256 = "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a"
NAME = "mask_lab_figure"


def _versioned(name: str) -> str:
    """The file's address with its content's hash: a changed file is fetched again, an unchanged one
    comes from the browser's cache."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"{name}?v={digest}"


# The element's own script travels in every element message: it only imports the drawing code, a file
# of ours the browser caches (relative to the page, as Streamlit's own ./static/ is: pages are one
# level under the app's base path). It says "drawing" before the import, so that whoever waits on
# the page never takes the old figure, still marked drawn during the import, for the new one.
LOADER = f"""export default async function (element) {{
  element.parentElement.dataset.maskLabState = "drawing";
  const {{ draw }} = await import(new URL("./app/static/{_versioned("figure.js")}", location.href).href);
  return draw(element);
}}"""
_mount = st.components.v2.component(NAME, js=LOADER, isolate_styles=False)  # plotly.js styles the page
PLOTLY = _versioned(PLOTLY_JS)


HEADS_PAYLOAD = 5_000_000  # bytes a view may send for all its heads at once (a view's 5 MB rule)


def show(
    fig,
    *,
    key: str,
    alt: str,
    config: dict,
    heads: bytes | None = None,
    notes: dict[tuple[int, int], str] | None = None,
    grid: dict | None = None,
) -> None:
    """Draw `fig` (a Plotly figure that nobody changes: it may come from a cache every session shares).
    `heads`: the figure is one head of several, switched in the browser (`heads_sent`), and `notes` a
    sentence under it while its head is shown; `grid`: the figure is every head's map, and a click on
    one picks it (`heads_about`)."""
    settings = {"config": {**config, "responsive": True}, "alt": alt, "plotly": PLOTLY, "grid": grid}
    settings["notes"] = _named(notes or {})
    parts = [b'{"settings":', json.dumps(settings).encode(), b',"figure":', figure_json(fig)]
    if heads:
        parts += [b',"heads":', heads]
    _mount(key=key, data=b"".join([*parts, b"}"]))


def picker(heads: dict, *, key: str, notes: dict[tuple[int, int], str]) -> None:
    """The Layer and Head pickers of a view of one head (`heads`: as `heads_about` describes it); `notes`:
    a sentence shown under them while its head is picked (why a view opens on it)."""
    _mount(key=key, data=json.dumps({"settings": {"notes": _named(notes)}, "picker": heads}).encode())


def _named(notes: dict[tuple[int, int], str]) -> dict[str, str]:
    return {f"{layer},{head}": text for (layer, head), text in notes.items()}


def every_head_fits(fig, count: int) -> bool:
    """Whether a view may send all its `count` heads at once, `fig` being one of them (what a head
    changes is at most its whole figure)."""
    return count * len(figure_json(fig)) <= HEADS_PAYLOAD


def heads_about(layers: int, heads: int, opening: tuple[int, int], round_trip: bool) -> dict:
    """A view of one head as the pickers, its figure and the grid need it: how many layers and heads,
    the head it opens on (which its links leave out), and whether the server draws each head."""
    return {"layers": layers, "heads": heads, "opening": list(opening), "roundTrip": round_trip}


def heads_sent(about: dict, frames: dict[tuple[int, int], dict] | None, drawn: tuple[int, int]) -> bytes:
    """What the browser needs to draw any head of a view: `frames`, each (layer, head)'s frame for the
    figure the element is sent with (the head `drawn`), as `figure_frames` makes them or a view makes
    them from its values; None: the server draws each head picked."""
    if frames is None:
        return json.dumps({**about, "drawn": list(drawn)}).encode()
    named = {f"{layer},{head}": frame for (layer, head), frame in frames.items()}
    return json.dumps({**about, "drawn": list(drawn), "frames": named}, separators=(",", ":")).encode()


def figure_frames(figs: dict[tuple[int, int], object], drawn: tuple[int, int]) -> dict[tuple[int, int], dict]:
    """Each head's frame from its whole figure (`figs`: the view's figure of each (layer, head)): its
    values wherever heads differ (weights, hover text, title: redrawn in place), or its whole figure
    where heads differ in their traces (the lines view)."""
    sent = {key: json.loads(figure_json(fig)) for key, fig in figs.items()}
    if any(len(figure["data"]) != len(sent[drawn]["data"]) for figure in sent.values()):
        return {key: {"figure": figure} for key, figure in sent.items()}
    return _changes(sent, drawn)


def _changes(sent: dict, drawn: tuple[int, int]) -> dict:
    """For each head, its values wherever some head differs from the head `drawn`, as Plotly.update
    takes them: per dotted trace attribute a value for each trace that changes, per dotted layout
    path a value."""
    flat = {key: ([_leaves(t) for t in figure["data"]], _leaves(figure["layout"])) for key, figure in sent.items()}
    base_traces, base_layout = flat[drawn]

    def differ(a: dict, b: dict) -> set:
        return {path for path in a.keys() | b.keys() if a.get(path) != b.get(path)}

    per_trace = [set() for _ in base_traces]
    for traces, _ in flat.values():
        for i, trace in enumerate(traces):
            per_trace[i] |= differ(trace, base_traces[i])
    layout_paths = sorted(set().union(*(differ(layout, base_layout) for _, layout in flat.values())))
    changing = [i for i, paths in enumerate(per_trace) if paths]
    attributes = sorted(set().union(*per_trace))
    return {
        key: {
            "data": {".".join(path): [traces[i].get(path) for i in changing] for path in attributes},
            "layout": {".".join(path): layout.get(path) for path in layout_paths},
            "traces": changing,
        }
        for key, (traces, layout) in flat.items()
    }


def _leaves(value, path: tuple = ()) -> dict[tuple, object]:
    """A figure's part as {path: value}: dicts opened, lists, typed arrays and the layout's meta (what
    app/browser.js reads, keyed by dotted paths of its own) kept whole."""
    if isinstance(value, dict) and "bdata" not in value and path != ("meta",):
        return {leaf: item for key, part in value.items() for leaf, item in _leaves(part, (*path, key)).items()}
    return {path: value}


def address_bar(*, key: str) -> str | None:
    """The query string the browser shows now (`?...`): what the next run would not know otherwise,
    since a head picked in the page does not run the script. None until the page has answered: the
    element asks it once mounted, and its answer runs the script (or the dialog it is in) again."""
    return _mount(key=key, data=b'{"settings":{},"address":true}', on_address_change=lambda: None).address


def sent_figure(element) -> dict | None:
    """The figure an element message carries (a BidiComponent proto), as the browser gets it, or
    None for another element: for the tests and the lecture pack, which read what a page drew."""
    return json.loads(element.bytes).get("figure") if element.component_name == NAME else None


def figures_drawn(at) -> list[dict]:
    """The figures a run of an AppTest drew, in order."""
    sent = (sent_figure(element.proto) for element in at.get("bidi_component"))
    return [figure for figure in sent if figure is not None]
