"""The Masks page's Windows tab takes every library's words from masks.windows, none of its own."""

import inspect

from app.views import mask_explorer


def test_the_page_knows_no_library_by_name():
    """Every sentence the Windows tab shows comes from masks.windows' data, none from the page itself."""
    tab = inspect.getsource(mask_explorer.windows_tab)
    assert "page.link.integer" in tab  # the function itself, not an empty text
    for name in ("Longformer", "Mistral", "Hugging Face", "xformers", "attention-gym", "one_file_ref"):
        assert name not in tab
