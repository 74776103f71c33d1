"""Code a reader copies and runs, shown by a light element of ours: the text in monospace, as
written, and a Copy button.

st.code loads Streamlit's syntax highlighter (1.5 MB of script) with the first block a page shows.
The Masks page opens on its Code tab, so every first visit waited for it: 2656 ms to the mask's
figure against 2363 ms on the Stats tab, 8 first visits each (docs/performance.md). The text needs
no colours to be read, copied or run.
"""

from __future__ import annotations

import streamlit as st

NAME = "mask_lab_code"

# theme values as Streamlit hands them to its elements (light and dark alike), Streamlit's own code
# font and sizes: the block reads as st.code's did
CSS = """
.mask-lab-code { position: relative; }
pre { margin: 0; padding: 1rem 4.5rem 1rem 1rem; overflow-x: auto; border-radius: 0.5rem;
  background: var(--st-code-background-color, rgba(151, 166, 195, 0.15));
  color: var(--st-code-text-color, var(--st-text-color));
  font-family: var(--st-code-font, "Source Code Pro", monospace); font-size: 0.875rem; line-height: 1.5; }
button { position: absolute; top: 0.5rem; right: 0.5rem; padding: 0.125rem 0.5rem; cursor: pointer;
  font: inherit; font-size: 0.75rem; color: var(--st-text-color); background: var(--st-background-color);
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2)); border-radius: 0.25rem; }
"""

HTML = """<div class="mask-lab-code"><button type="button" aria-label="Copy the code">Copy</button>
<pre tabindex="0"><code></code></pre></div>"""

# navigator.clipboard exists only on https and localhost: a class server on the hall's network is
# plain http, where the copy goes through a selected text area instead
JS = """export default function ({ parentElement, data }) {
  const text = new TextDecoder().decode(data);
  parentElement.querySelector("code").textContent = text;
  const button = parentElement.querySelector("button");
  button.onclick = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      area.style.position = "fixed";
      area.style.opacity = "0";
      parentElement.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = "Copy"), 1500);
  };
}"""

_mount = st.components.v2.component(NAME, html=HTML, css=CSS, js=JS)


def code_block(text: str, *, key: str) -> None:
    """`text` shown as written, in monospace, with a button that copies it."""
    _mount(key=key, data=text.encode())
