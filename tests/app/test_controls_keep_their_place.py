"""A control bound to the link sits in the same blocks in every view of its page.

Streamlit's browser side ties a control to its URL parameter by the control's id. When a run draws
the control inside other blocks than the run before (the blocks around it moved), the browser
mounts the new copy while the old one is still on screen if the run's messages arrive spread out
(a slow connection, a busy server); removing the old copy then unties the new one, and the
control's next change no longer reaches the address bar: Reload and Back lose it, the share link
misses it. `tests/browser/test_attention_in_browser.py` shows it in Chromium. A control may move
among its siblings (the browser keeps it), not into other blocks.

Presentation mode is a layout of its own (the stage and the column beside it, app/lecture/stage.py): its
toggle loads the page again (app/browser.js), so controls keep their blocks within each layout.
"""

from collections import defaultdict

import pytest
from streamlit.proto.Block_pb2 import Block as BlockProto

from tests.app.conftest import run_page

# per page: links that change what is drawn above and around the bound controls
LINKS = {
    "masks": [
        {},
        {"view": "compare"},
        {"view": "unilm"},
        {"input": "length"},
        {"input": "length", "view": "unilm"},
        {"scheme": "sliding_window", "tab": "Windows"},
        {"c1_op": "and", "tab": "Windows"},
        {"text": " ", "tab": "Windows"},  # a notice: no tokens, the example is shown
        {"scheme": "padding", "pad": "3", "mask_queries": "true", "tab": "Windows"},  # empty rows: a warning
        {"present": "true", "tab": "Windows"},
        {"present": "true", "view": "unilm"},
        {"present": "true", "view": "compare"},
        {"present": "true", "text": " "},
        {"present": "true", "scheme": "padding", "pad": "3", "mask_queries": "true"},
    ],
    "attention": [
        {},
        {"view": "pipeline"},
        {"view": "aggregate"},
        {"view": "lines"},
        {"view": "shapes"},
        {"present": "true"},
        {"present": "true", "view": "pipeline"},
        {"present": "true", "view": "aggregate"},
        {"present": "true", "view": "lines"},
        {"present": "true", "view": "shapes"},
        {"present": "true", "model": "minilm-l6"},
        {"present": "true", "model": "minilm-l6", "view": "pipeline"},
        {"model": "mirror", "view": "lines"},
        {"model": "random", "layers": "3", "view": "pipeline"},
        {"mask": "custom", "m_scheme": "padding", "m_pad": "3", "m_mask_queries": "true", "view": "pipeline"},
        {"model": "minilm-l6"},
        {"model": "minilm-l6", "view": "pipeline"},
        {"model": "minilm-l6", "view": "lines", "sentences": "a\nb\nc\nd\ne\nf\ng\nh\ni"},
        {"slides": "mask-schemes", "step": "1"},
    ],
    "cross": [
        {},
        {"view": "pipeline"},
        {"view": "lines"},
        {"view": "aggregate"},
        {"kind": "encoder", "view": "pipeline"},
        {"target": "abc", "view": "lines"},
        {"present": "true"},
        {"present": "true", "view": "pipeline"},
        {"present": "true", "view": "lines"},
        {"present": "true", "view": "aggregate"},
    ],
    "normalization": [
        {},
        {"present": "true"},
        {"present": "true", "sentences": ""},
        {"sentences": ""},  # no sentence: the example batch, said
        {"depth": "3"},
    ],
}


def places(at) -> dict[str, tuple[int, ...]]:
    """Each bound control's URL parameter -> the path of block indices around it."""
    found = {}

    def walk(node, path):
        proto = getattr(node, "proto", None)
        if isinstance(proto, BlockProto):
            if proto.HasField("tab_container") and proto.tab_container.query_param_key:
                found[proto.tab_container.query_param_key] = path  # bound tabs: the block is the control
        elif getattr(proto, "query_param_key", ""):  # a bound widget
            found[proto.query_param_key] = path[:-1]
        for index, child in (getattr(node, "children", None) or {}).items():
            walk(child, (*path, index))

    walk(at._tree, ())
    return found


@pytest.mark.parametrize("page", LINKS)
def test_every_bound_control_sits_in_the_same_blocks_in_every_view(page):
    seen = defaultdict(lambda: defaultdict(list))
    for params in LINKS[page]:
        at = run_page(page, **params)
        assert not at.exception, (params, at.exception)
        layout = "presentation" if params.get("present") == "true" else "desk"
        for key, path in places(at).items():
            seen[(layout, key)][path].append(params)
    assert {"present", "view"} <= {key for _, key in seen} or page == "normalization", sorted(seen)
    moved = {key: {path: links[0] for path, links in paths.items()} for key, paths in seen.items() if len(paths) > 1}
    assert not moved, "controls drawn in other blocks (path: first link that draws it there):\n" + "\n".join(
        f"{key}: {paths}" for key, paths in moved.items()
    )
