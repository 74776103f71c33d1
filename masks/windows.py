"""One window, four meanings: what each library's window parameter means in our terms.

Each convention carries its own predicate, written as that library writes it (from their
code), so the table is computed, not asserted: `convention_mask` builds their mask and a
test checks it equals ours with the translated window.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from masks.predicate import build


@dataclass(frozen=True)
class WindowConvention:
    library: str
    parameter: str  # how you write it there, "{w}" standing for their value
    rule: str  # their predicate, in their words
    causal: bool

    def written(self, window: int) -> str:
        """Their parameter as written there, giving the same mask as our `window`."""
        return self.parameter.format(w=self.their_value(window))

    def their_value(self, window: int) -> int:
        """Their parameter value that gives the same mask as our `window`."""
        return {"attention-gym": window - 1, "Longformer": 2 * (window - 1)}.get(self.library, window)

    def keys_seen(self, their_value: int) -> int:
        """Keys one query sees, itself included, on a long enough sequence."""
        return their_value + 1 if self.library in ("attention-gym", "Longformer") else their_value

    def mask(self, their_value: int, length: int) -> torch.Tensor:
        """Their mask, from their predicate: bool (length, length)."""
        q = torch.arange(length)[:, None]
        kv = torch.arange(length)[None, :]
        if self.library == "Hugging Face":
            return (kv > q - their_value) & (kv <= q)
        if self.library == "attention-gym":
            return (q - kv <= their_value) & (q >= kv)
        if self.library == "xformers":
            return (q - kv < their_value) & (q >= kv)
        return (q - kv).abs() <= their_value // 2

    def ours(self, window: int, length: int) -> torch.Tensor:
        return build("sliding_window", length, window=window, causal=self.causal)


CONVENTIONS = (
    WindowConvention("Hugging Face", "sliding_window={w}", "kv > q - w (and kv <= q)", causal=True),
    WindowConvention("attention-gym", "generate_sliding_window({w})", "q - kv <= w (and q >= kv)", causal=True),
    WindowConvention("xformers", "local attention window_size={w}", "q - kv < w (and q >= kv)", causal=True),
    WindowConvention("Longformer", "attention_window={w} (even, two-sided)", "abs(q - kv) <= w / 2", causal=False),
)
