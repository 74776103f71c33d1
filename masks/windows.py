"""One window, many meanings: what each library's window parameter means in our terms.

Each convention is data, read from that library's code: the parameter as written there, the
rule its code applies (a predicate written the way that code writes it, and the same rule as
text), how our `window` maps onto their value, the values the library refuses or crashes on
(with its own error), and which file a name such as "Mistral" stands for. The Windows tab knows
no library by name: it builds each library's mask from its rule, compares it with ours, and
says "cannot express" with the library's reason where a limit fails.

Our `sliding_window(window=w)` counts the keys a query sees on one side, itself included.

>>> [c.library for c in ALL_CONVENTIONS if c.keys_seen(3) == 7]  # abs(q - kv) <= 3: 2 * 3 + 1 keys
['Hugging Face, bidirectional']
>>> hf_bi = ALL_CONVENTIONS[4]
>>> hf_bi.written(4), hf_bi.ours_for(3)  # their sliding_window=3 is our causal=False window 4
('sliding_window=3, is_causal=False', 4)
>>> longformer = CONVENTIONS[3]
>>> longformer.written(3), longformer.cannot_express(3)
('attention_window=4 (even, two-sided)', None)
>>> reason = longformer.cannot_express(1)  # attention_window=0, which Longformer refuses
>>> reason.startswith("cannot express window 1: `attention_window=0 (even, two-sided)` fails in")
True
>>> "fails in `LongformerModel.__init__`: AssertionError" in reason  # names as code, for Markdown
True
>>> reason.endswith("`config.attention_window` has to be positive")
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch

from masks.params import MAX_LEN
from masks.predicate import build, predicate

Rule = Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]  # (q, kv, their value) -> bool


@dataclass(frozen=True)
class Limit:
    """A value the library refuses or crashes on: `ok(value)` is False there."""

    ok: Callable[[int], bool]
    error: str  # the library's own exception and message, "{v}" standing for the value
    raised_in: str  # the function that raises it, as Markdown: names in backticks (`__init__` bare is bold "init")


@dataclass(frozen=True)
class WindowConvention:
    library: str  # the library and, where one name means several rules, which code
    family: str  # the name people say ("Mistral"); rows of one family may count differently
    code: str  # the file and function the rule is read from
    parameter: str  # how you write it there, "{w}" standing for their value
    rule: str  # their predicate, in their words: the text of `allows`
    allows: Rule  # their predicate: True where query q may attend key kv
    causal: bool  # which of our sliding windows it is: causal, or both ways
    scale: int = 1  # their value for our window w: scale * w + offset
    offset: int = 0
    limits: tuple[Limit, ...] = ()

    def their_value(self, window: int) -> int:
        """Their parameter value that gives the same mask as our `window`."""
        return self.scale * window + self.offset

    def write(self, their_value: int) -> str:
        """Their parameter as written there, with their value."""
        return self.parameter.format(w=their_value)

    def written(self, window: int) -> str:
        """Their parameter as written there, giving the same mask as our `window`."""
        return self.write(self.their_value(window))

    def refusal(self, their_value: int) -> str | None:
        """Why the library cannot take this value (its own error), or None if it can."""
        for limit in self.limits:
            if not limit.ok(their_value):
                where, error = (text.format(v=their_value) for text in (limit.raised_in, limit.error))
                return f"`{self.write(their_value)}` fails in {where}: {error}"
        return None

    def cannot_express(self, window: int) -> str | None:
        """'cannot express window N: <reason>' when the library cannot give our `window`, else None."""
        reason = self.refusal(self.their_value(window))
        return None if reason is None else f"cannot express window {window}: {reason}"

    def mask(self, their_value: int, length: int) -> torch.Tensor:
        """Their mask, from their rule: bool (length, length). Built even for a value they refuse."""
        q = torch.arange(length)[:, None]
        kv = torch.arange(length)[None, :]
        return torch.broadcast_to(self.allows(q, kv, their_value), (length, length))

    def keys_seen(self, their_value: int) -> int:
        """Keys one query sees, itself included, on a long enough sequence (from their rule)."""
        length = 4 * abs(their_value) + 8  # a middle query, far from both edges
        kv = torch.arange(length)
        return int(torch.broadcast_to(self.allows(torch.tensor(length // 2), kv, their_value), (length,)).sum())

    def ours(self, window: int, length: int) -> torch.Tensor:
        return build("sliding_window", length, window=window, causal=self.causal)

    def ours_args(self, window: int) -> str:
        return f"window={window}{'' if self.causal else ', causal=False'}"

    def ours_call(self, window: int) -> str:
        return f"sliding_window({self.ours_args(window)})"

    def ours_for(self, their_value: int) -> int | None:
        """Our window with the same mask as their value, or None if no window of ours has it.

        The mapping inverted, then checked on one query's keys (their rule against ours)."""
        window, rest = divmod(their_value - self.offset, self.scale)
        if rest or window < 1:
            return None
        length = min(4 * abs(their_value) + 8, MAX_LEN)
        kv = torch.arange(length)
        theirs = torch.broadcast_to(self.allows(torch.tensor(length // 2), kv, their_value), (length,))
        ours = predicate("sliding_window", length, window=window, causal=self.causal).row(length // 2)
        return window if torch.equal(theirs, ours) else None


CONVENTIONS = (
    WindowConvention(
        "Hugging Face, causal",
        "Hugging Face",
        "transformers masking_utils.py: sliding_window_causal_mask_function",
        "sliding_window={w}",
        "kv_idx > q_idx - sliding_window and kv_idx <= q_idx",
        lambda q, kv, w: (kv > q - w) & (kv <= q),
        causal=True,
    ),
    WindowConvention(
        "attention-gym",
        "attention-gym",
        "attn_gym/masks/sliding_window.py: generate_sliding_window",
        "generate_sliding_window({w})",
        "q_idx - kv_idx <= window_size and q_idx >= kv_idx",
        lambda q, kv, w: (q - kv <= w) & (q >= kv),
        causal=True,
        offset=-1,
    ),
    WindowConvention(
        "xformers",
        "xformers",
        "xformers fmha/attn_bias.py: BlockDiagonalCausalMask.make_local_attention",
        "local attention window_size={w}",
        "q - kv < window_size and q >= kv (tril, then triu(diagonal=-window_size + 1))",
        lambda q, kv, w: (q - kv < w) & (q >= kv),
        causal=True,
        limits=(
            Limit(
                lambda v: v > 0,
                "ValueError: Expected `window_size > 0`, but window_size={v}",
                "`BlockDiagonalCausalLocalAttentionMask.__post_init__`",
            ),
        ),
    ),
    WindowConvention(
        "Longformer (Hugging Face)",
        "Longformer",
        "transformers modeling_longformer.py: LongformerSelfAttention, one side = attention_window // 2",
        "attention_window={w} (even, two-sided)",
        "abs(q - kv) <= attention_window // 2",
        lambda q, kv, w: (q - kv).abs() <= w // 2,
        causal=False,
        scale=2,
        offset=-2,
        # transformers 5.24, as tests/masks/test_window_conventions.py runs it; an int checked in
        # LongformerModel.__init__ (evenness first), before each layer's own checks of its list entry
        limits=(
            Limit(
                lambda v: v % 2 == 0,
                "AssertionError: `config.attention_window` has to be an even value",
                "`LongformerModel.__init__`",
            ),
            Limit(
                lambda v: v > 0,
                "AssertionError: `config.attention_window` has to be positive",
                "`LongformerModel.__init__`",
            ),
            Limit(
                lambda v: v // 2 >= 2,  # a one-sided window of 1 slices [1:1] against [:0, 0:]
                "RuntimeError: The expanded size of the tensor (0) must match the existing size (3) "
                "at non-singleton dimension 2",
                "`LongformerSelfAttention._sliding_chunks_query_key_matmul` (one side: `{v} // 2 = 1`)",
            ),
        ),
    ),
)
"""Each library's own sliding-window primitive (the table's first rows)."""

NAMED_CODE = (
    WindowConvention(
        "Hugging Face, bidirectional",
        "Hugging Face",
        "transformers masking_utils.py: sliding_window_bidirectional_overlay (config is_causal=False)",
        "sliding_window={w}, is_causal=False",
        "abs(q_idx - kv_idx) <= sliding_window",
        lambda q, kv, w: (q - kv).abs() <= w,
        causal=False,
        offset=-1,
    ),
    replace(  # Hugging Face's causal window under another name
        CONVENTIONS[0],
        library="Mistral (Hugging Face, mistral-inference)",  # short: a cell of the Windows tab's table
        family="Mistral",
        code="transformers MistralModel: masking_utils sliding_window_causal_mask_function; mistral-inference "
        "mistral/cache.py: xformers BlockDiagonalCausalMask.make_local_attention(sliding_window)",
    ),
    WindowConvention(
        "Mistral (reference one_file_ref.py)",
        "Mistral",
        "mistral-src / mistral-inference one_file_ref.py: Transformer.forward, the prompt mask "
        "triu(tril(ones), diagonal=-sliding_window)",
        "sliding_window={w}",
        "kv >= q - sliding_window and kv <= q",
        lambda q, kv, w: (kv >= q - w) & (kv <= q),
        causal=True,
        offset=-1,
        limits=(
            Limit(
                lambda v: v > 0,
                "RuntimeError: ZeroDivisionError",
                "`Attention.forward` (`positions % self.sliding_window`, a rolling cache of {v} slots)",
            ),
        ),
    ),
)
"""Rules that go by a name already taken above: the same word, a different count."""

ALL_CONVENTIONS = CONVENTIONS + NAMED_CODE
"""Every row of the Windows tab, in its order."""


def disagreements(their_value: int) -> list[tuple[str, list[tuple[WindowConvention, int | None]]]]:
    """Families whose rules read the same number differently: (family, [(convention, keys or None)]).

    None stands for a value that convention refuses."""
    families: dict[str, list[WindowConvention]] = {}
    for conv in ALL_CONVENTIONS:
        families.setdefault(conv.family, []).append(conv)
    found = []
    for family, convs in families.items():
        read = [(c, None if c.refusal(their_value) else c.keys_seen(their_value)) for c in convs]
        if len({keys for _, keys in read}) > 1:
            found.append((family, read))
    return found
