"""What a person sees in Chromium: one tick per perceived character, invisible characters named."""

from urllib.parse import quote

from playwright.sync_api import expect

from tests.browser.conftest import wait_for_app

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦
E_DECOMPOSED = "e\u0301"  # é typed as e and a combining accent
ZWSP = "\u200b"  # zero width space


def test_tick_labels_read_as_typed_one_per_perceived_character(page, app_url):
    text = f"{FAMILY} caf{E_DECOMPOSED} [PAD] a{ZWSP}b"
    page.goto(f"{app_url}/masks?text={quote(text)}")
    wait_for_app(page)
    ticks = page.locator(".js-plotly-plot").first.locator(".xtick text")
    expect(ticks).to_have_count(6)
    labels = [t.text_content() for t in ticks.all()]
    assert labels[:3] == [FAMILY, "caf\u00e9", "[PAD]"]
    assert labels[3] == "a" and "ZWSP" in labels[4] and labels[5] == "b"
    expect(page.get_by_test_id("stException")).to_have_count(0)
