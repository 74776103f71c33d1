"""The Masks page's code as a reader takes it (app/code_element.py): shown as written, copied by its
button on a secure page and on a plain-http one (a class server on the hall's network), and no
syntax highlighter loaded for it (1.5 MB of script that held a first visit's figure back)."""

from __future__ import annotations

import pytest
import torch
from playwright.sync_api import expect

import masks
from app.text import DEFAULT_TEXT
from model.tokenizer import split_words
from tests.browser.conftest import ARTIFACTS, PHONE, wait_for_app

DESK = {"width": 1400, "height": 1000}
LINK = "masks?scheme=chunked&chunk=2&causal=true"
NO_CLIPBOARD_API = "Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined })"


def built_by(code: str) -> torch.Tensor:
    namespace = {}
    exec(code, namespace)  # as a user would paste it
    return namespace["mask"]


@pytest.mark.parametrize("secure", [True, False], ids=["clipboard api", "plain http"])
def test_the_code_tab_copies_code_that_builds_the_mask_with_no_highlighter_loaded(chromium, app_url, secure):
    context = chromium.new_context(viewport=DESK)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    page = context.new_page()
    if not secure:
        page.add_init_script(NO_CLIPBOARD_API)
    try:
        page.goto(f"{app_url}/{LINK}")
        wait_for_app(page)
        block = page.locator(".mask-lab-code").first
        shown = block.locator("code").text_content()
        assert shown.startswith("import torch")
        expected = masks.build("chunked", len(split_words(DEFAULT_TEXT)), chunk=2, causal=True)
        assert torch.equal(built_by(shown), expected)
        button = block.get_by_role("button", name="Copy the code")
        button.click()
        expect(button).to_have_text("Copied")
        reader = context.new_page()  # a page whose clipboard API is whole, to read what was copied
        reader.goto(f"{app_url}/_stcore/health")
        reader.bring_to_front()
        assert reader.evaluate("navigator.clipboard.readText()") == shown
        loaded = page.evaluate("performance.getEntriesByType('resource').map((entry) => entry.name)")
        assert not [name for name in loaded if "SyntaxHighlighter" in name]
    finally:
        context.close()


def test_a_long_line_scrolls_inside_its_block_on_a_phone(chromium, app_url):
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/masks?scheme=padding&tab=Conventions&input=length&n=100&pad=5")
        wait_for_app(page)
        page.screenshot(path=ARTIFACTS / "code-blocks-phone.png", full_page=True)
        widths = page.locator(".mask-lab-code pre").evaluate_all(
            "(blocks) => blocks.map((pre) => [pre.getBoundingClientRect().right, pre.scrollWidth > pre.clientWidth])"
        )
        assert widths and all(right <= PHONE["width"] for right, _ in widths)
        assert any(scrolls for _, scrolls in widths)  # 100 keys' attention_mask is wider than a phone
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
