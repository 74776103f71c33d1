"""Masks: pick a scheme (or combine several) and see exactly which keys each query may attend."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import streamlit as st
import torch

import masks
from app import figures
from app.cache import MiB, bounded, in_turn
from app.code_element import code_block
from app.lecture.stage import Lecture
from app.state import Link, varying
from app.text import (
    DEFAULT_TEXT,
    MAX_TOKENS,
    PAD,
    WORDS_HELP,
    counted,
    padded,
    positions,
    quoted,
    tokens_from_text,
    typed_padding,
    visible,
)
from app.views.mask_controls import (
    COMBINED,
    Picked,
    built,
    combined,
    operator_control,
    scheme_picker,
    show_notice,
    with_parameters,
)
from masks.windows import ALL_CONVENTIONS, disagreements

VIEWS = ["mask", "compare", "unilm"]
SHOWN_EMPTY_ROWS = 8  # reasons listed under the figure; the figure flags every one
CROP = 8  # the conventions tab prints this corner of each tensor
MAX_TEXT = 24_000  # characters of a sentence: MAX_TOKENS short words and more, a link well under LINK_LIMIT
TEXT_HELP = f"{WORDS_HELP} At most {MAX_TEXT:,} characters."
HF_WRITTEN_OUT = 64  # a Hugging Face attention_mask up to this many keys is written entry by entry
WINDOW_CHECK = 1024  # longest sequence the windows tab compares masks on (two masks of its square per rule)


@dataclass(frozen=True)
class Tokens:
    """The tokens as read, before any padding is added."""

    queries: list[str]
    keys: list[str]
    keys_from: str  # what the keys are read from, in words: "sentence", "source"
    self_attention: bool  # one sequence: padding it pads the queries too


def token_controls(link: Link) -> tuple[Tokens, list]:
    """The sidebar's tokens: the queries', the keys', and notices about what was read."""
    with st.sidebar:
        st.header("Tokens")
        source_kind = link.choice("Queries from", "input", ["sentence", "length"], "sentence")
        if source_kind == "sentence":
            text = link.text(
                "Sentence (queries; also the keys unless a source is given)",
                "text",
                DEFAULT_TEXT,
                max_chars=MAX_TEXT,
                help=TEXT_HELP,
            )
            q_tokens, notice = tokens_from_text(text, "sentence")
            source = link.text(
                "Source sentence for the keys (cross-attention; empty = self-attention)",
                "source",
                "",
                max_chars=MAX_TEXT,
                help=TEXT_HELP,
            )
            k_tokens, source_notice = tokens_from_text(source, "source") if source.strip() else (q_tokens, None)
            tokens = Tokens(q_tokens, k_tokens, "source" if source.strip() else "sentence", not source.strip())
        else:
            q_len = link.integer("Queries", "n", 1, MAX_TOKENS, 16, help=f"1 to {MAX_TOKENS} positions")
            kv_len = link.integer("Keys (0 = as many as queries)", "kv_n", 0, MAX_TOKENS, 0)
            tokens = Tokens(positions(q_len), positions(kv_len or q_len), "sequence", not kv_len)
            notice = source_notice = None
    return tokens, [notice, source_notice]


class Padder:
    """Padding as a batch does it: [PAD] tokens added to the keys (to the one sequence in
    self-attention, so to the queries too), at the end or, for side=left, at the start; [PAD] tokens
    typed there count, and set the padding's default. Each scheme's parameters are drawn for the tokens
    as the padding drawn before left them; a pad's room keeps the tokens within MAX_TOKENS."""

    def __init__(self, link: Link, tokens: Tokens) -> None:
        self.link, self.tokens = link, tokens
        self.typed = typed_padding(tokens.keys)
        self.ends = (0, 0)  # [PAD] tokens at the start and at the end of the keys, typed ones included

    def keys(self) -> list[str]:
        return padded(self.tokens.keys, *self.ends)

    def queries(self) -> list[str]:
        return self.keys() if self.tokens.self_attention else self.tokens.queries

    def with_parameters(self, picked: Picked) -> Picked:
        keys = self.keys()
        room = MAX_TOKENS - len(keys)
        picked = with_parameters(
            self.link, picked, len(self.queries()), len(keys), typed_pads=self.typed, pad_room=room
        )
        start, end = masks.analysis.padded_ends(picked.name, picked.values)
        self.ends = (max(self.ends[0], start), max(self.ends[1], end))
        return picked


def mask_controls(link: Link, tokens: Tokens, view: str) -> tuple[list[str], list[str], masks.Predicate, object]:
    """The sidebar's masks: the queries and keys their padding made, A (one scheme, or several
    combined) and, to compare, B (else None). Every scheme is picked first; then the padding schemes'
    parameters are drawn, which make the tokens; then the others', for those tokens (a document's
    lengths sum to the padded length); each in its place under its picker."""
    picks, ops = [scheme_picker(link, "", st)], []
    for k in range(1, COMBINED + 1):
        op = operator_control(link, k, st)
        if op == "off":
            break
        ops.append(op)
        picks.append(scheme_picker(link, f"c{k}_", st, default="padding", label=f"Scheme {k + 1}"))
    if view == "compare":
        st.header("Compare with (B)")
        picks.append(scheme_picker(link, "b_", st, default="sliding_window"))
    padder = Padder(link, tokens)
    for k in sorted(range(len(picks)), key=lambda k: picks[k].name not in masks.analysis.PADDING):
        picks[k] = padder.with_parameters(picks[k])
    queries, keys = padder.queries(), padder.keys()
    drawn = [built(picked, len(queries), len(keys)) for picked in picks]
    mask_a = drawn[0]
    for op, part in zip(ops, drawn[1 : 1 + len(ops)], strict=True):
        mask_a = combined(mask_a, op, part)
    return queries, keys, mask_a, drawn[-1] if view == "compare" else None


@bounded(max_bytes=128 * MiB)
def mask_view(pred: masks.Predicate, q_tokens: tuple, k_tokens: tuple, title: str, one_sequence: bool):
    """The figure and numbers of one mask on these tokens (`one_sequence`: self-attention, where a
    padded key is a padded query too)."""
    mask = pred.build()
    pad_queries, pad_keys = masks.analysis.padding_positions(pred)
    if one_sequence:
        pad_queries = sorted({*pad_queries, *pad_keys})
    fig = figures.mask_figure(
        mask,
        list(q_tokens),
        list(k_tokens),
        title=title,
        blame=pred.blame,
        pad_queries=pad_queries,
        pad_keys=pad_keys,
    )
    return fig, mask, masks.stats(mask)


@dataclass(frozen=True)
class Context:
    """What every part of the page draws with: its link, its lecture tools, each axis's tokens."""

    link: Link
    lecture: Lecture
    q_tokens: list[str]
    k_tokens: list[str]
    read: Tokens  # the tokens before padding was added


def draw_mask(page: Context, pred: masks.Predicate, title: str | None = None, key: str = "mask"):
    fig, mask, stats = mask_view(
        pred, tuple(page.q_tokens), tuple(page.k_tokens), title or pred.name, page.read.self_attention
    )
    page.lecture.show(
        fig,
        key=key,
        main=True,
        alt=f"Attention mask {pred.name}: {len(page.q_tokens)} queries by {len(page.k_tokens)} keys, "
        f"{stats.density:.0%} of cells allowed",
    )
    with page.lecture.beside(), varying():
        explain_attended_pads(page, pred, mask)
    return mask, stats


def explain_attended_pads(page: Context, pred: masks.Predicate, mask: torch.Tensor) -> None:
    """A [PAD] key that some query may attend is drawn as a real token: say so, and why."""
    words = attended_pads_words(pred, tuple(page.k_tokens), tuple(page.read.keys), page.read.keys_from, mask)
    if words:
        st.warning(words)


# The words of a view are the same for every session showing it: made once, as its figure is (a class
# stepping to one view runs the page once per student)
@bounded(max_bytes=4 * MiB)
def attended_pads_words(
    pred: masks.Predicate, k_tokens: tuple, typed_keys: tuple, keys_from: str, _mask: torch.Tensor
) -> str | None:
    read = masks.analysis.attended(_mask, [j for j, token in enumerate(k_tokens) if token == PAD])
    if not read:
        return None
    padding, typed = masks.analysis.mask_padding(pred), typed_padding(list(typed_keys))
    reasons = [] if padding else ["the mask has no padding term"]
    for side, (word, which) in enumerate([("starts", "first"), ("ends", "last")] if padding else []):
        if typed[side] > padding[side]:
            covered = f"the {which} {padding[side]}" if padding[side] else "none of them"
            reasons.append(
                f"the {keys_from} {word} with {counted(typed[side], '[PAD] token', '[PAD] tokens')} "
                f"and the mask pads {covered}"
            )
    where = ", ".join(str(j) for j in read[:SHOWN_EMPTY_ROWS]) + (", …" if len(read) > SHOWN_EMPTY_ROWS else "")
    return (
        f"{counted(len(read), '[PAD] key is attended as a real token', '[PAD] keys are attended as real tokens')} "
        f"(position{'' if len(read) == 1 else 's'} {where}) under {quoted(pred.name)}: "
        + ("; ".join(reasons) or "the mask allows them")
        + "."
    )


def explain_empty_rows(q_tokens: list[str], pred: masks.Predicate, stats: masks.MaskStats) -> None:
    words = empty_rows_words(pred, tuple(q_tokens), stats)
    if words:
        st.warning(words)


@bounded(max_bytes=4 * MiB)
def empty_rows_words(pred: masks.Predicate, q_tokens: tuple, _stats: masks.MaskStats) -> str | None:
    if not _stats.empty_rows:
        return None
    lines = [
        f"- query {quoted(visible(q_tokens[i]))} ({i}): {quoted(pred.why_empty(i), limit=None)}"
        for (i,) in _stats.empty_rows[:SHOWN_EMPTY_ROWS]
    ]
    more = len(_stats.empty_rows) - SHOWN_EMPTY_ROWS
    return (
        f"**{len(_stats.empty_rows)} {'query has' if len(_stats.empty_rows) == 1 else 'queries have'} no allowed "
        "key.** Plain softmax over such a row is NaN and spreads; `nn.MultiheadAttention` returns NaN outputs "
        "and weights; SDPA with a bool or -inf mask returns a zero row; Hugging Face's finfo.min mask silently "
        "averages the blocked keys.\n\n" + "\n".join(lines) + (f"\n- … and {more} more" if more > 0 else "")
    )


def _matrix(t: torch.Tensor) -> str:
    crop = t[:CROP, :CROP]
    cells = [
        ["-inf" if v == float("-inf") else f"{v:g}" if isinstance(v, float) else str(int(v)) for v in row]
        for row in crop.tolist()
    ]
    width = max(len(c) for row in cells for c in row)
    return "\n".join(" ".join(c.rjust(width) for c in row) for row in cells)


def _hf_row(row: list[int]) -> str:
    """Every key's entry as Python: written out up to HF_WRITTEN_OUT keys, else as runs of equal
    values ([1] * 95 + [0] * 5), so padding at the end of a long row is never cut off."""
    if len(row) <= HF_WRITTEN_OUT:
        return str(row)
    runs = [(value, len(list(group))) for value, group in itertools.groupby(row)]
    return " + ".join(f"[{value}] * {count}" for value, count in runs)


def conventions_tab(pred: masks.Predicate, mask: torch.Tensor) -> None:
    cropped = max(mask.shape) > CROP
    if cropped:
        st.caption(f"The top-left {CROP} x {CROP} corner of each tensor; rows are queries, columns keys.")
    left, right = st.columns(2)
    left.markdown("**SDPA bool `attn_mask`**, FlexAttention, HF `sdpa_mask`: 1 (True) = may attend")
    with left:
        code_block(_matrix(mask), key="code_bool")
    right.markdown("**SDPA float mask**, `generate_square_subsequent_mask`: added to the scores, -inf = blocked")
    with right:
        code_block(_matrix(masks.to_additive(mask)), key="code_float")
    left.markdown("**`nn.MultiheadAttention` / `nn.Transformer` `attn_mask`**: inverted, 1 (True) = NOT allowed")
    with left:
        code_block(_matrix(masks.to_mha(mask)), key="code_mha")
    right.markdown("**Hugging Face `attention_mask`** (B, K): 1 = real token, 0 = padding")
    try:
        row = _hf_row(masks.to_hf_attention_mask(mask)[0].tolist())
        with right:
            code_block(f"attention_mask = torch.tensor([{row}])", key="code_hf")
    except ValueError:
        right.info(
            "Not expressible: this mask hides different keys from different queries; a 2-D "
            "attention_mask can only say which keys are padding."
        )
    st.markdown("**FlexAttention `mask_mod`**: a function of (b, h, q_idx, kv_idx), True = may attend")
    code_block(
        "import masks\nfrom torch.nn.attention.flex_attention import create_block_mask\n\n"
        f"mask_mod = ({pred.call_text()}).mask_mod\n"
        f'block_mask = create_block_mask(mask_mod, None, None, {mask.shape[0]}, {mask.shape[1]}, device="cpu")',
        key="code_flex",
    )


def code_tab(pred: masks.Predicate) -> None:
    st.markdown("**Plain PyTorch**, no library: copy, paste, run.")
    use = "# use it: F.scaled_dot_product_attention(q, k, v, attn_mask=mask)"
    code_block(f"{plain_code(pred)}\n{use}\n", key="code_plain")
    st.markdown("**With this library**")
    code_block(f"import masks\n\nmask = ({pred.call_text()}).build()\n", key="code_library")


@bounded(max_bytes=4 * MiB)
def plain_code(pred: masks.Predicate) -> str:
    return pred.code()  # the rules' own source: read from their files


def stats_tab(page: Context, stats: masks.MaskStats) -> None:
    counts = stats.keys_per_query.float()
    cols = st.columns(5)
    cols[0].metric("density", f"{stats.density:.1%}", help="allowed cells / all cells")
    cols[1].metric("keys per query", f"{counts.mean():.1f}", help="mean over queries")
    cols[2].metric("min / max keys", f"{int(counts.min())} / {int(counts.max())}")
    cols[3].metric("queries with no key", len(stats.empty_rows))
    cols[4].metric(
        f"skippable {stats.tile}x{stats.tile} tiles",
        f"{stats.skippable_tiles} / {stats.tiles}",
        help="tiles with no allowed cell: FlexAttention skips them",
    )
    page.lecture.show(
        figures.keys_per_query_figure(stats.keys_per_query, page.q_tokens),
        key="keys_per_query",
        alt="bar chart of keys per query",
    )


def _keys(n: int) -> str:
    return f"{n} key{'' if n == 1 else 's'}"


def windows_tab(page: Context, pred: masks.Predicate) -> None:
    """Our window in each library's code: its parameter, with its own rule built and checked against
    ours, or why that library cannot take it. Every sentence is built from masks.windows' data."""
    windows = [leaf.params["window"] for leaf in pred.leaves() if leaf.scheme.name == "sliding_window"]
    if not windows:  # nothing of the mask's own to show: the reader picks a window here
        window = page.link.integer("Window (ours)", "win", 1, 4096, 3)
        subject = f"This mask has no sliding window; a `window={window}` of ours, picked above"
    elif len(windows) == 1:
        window, subject = windows[0], f"This mask's `window={windows[0]}`"
    else:
        window, subject = windows[0], f"The first of this mask's {len(windows)} windows, `window={windows[0]}`"
    length = min(max(len(page.q_tokens), 2 * window + 2), WINDOW_CHECK)
    st.markdown(
        f"{subject} (the keys a query sees on each side, itself included: {_keys(window)} causal, "
        f"{_keys(2 * window - 1)} both ways) in {len(ALL_CONVENTIONS)} rules: each "
        "library's parameter for the same mask, its own rule built and compared with ours on a sequence of "
        f"{length} tokens, or why it cannot take that window:"
    )
    rows, refused = [], []
    for conv in ALL_CONVENTIONS:
        theirs, cannot = conv.their_value(window), conv.cannot_express(window)
        if cannot:
            refused.append(f"- **{conv.library}** {cannot}")
            same = f"cannot express window {window}"
        else:
            same = "yes" if torch.equal(conv.mask(theirs, length), conv.ours(window, length)) else "NO"
        rows.append(
            {
                "library": conv.library,
                "their parameter": "—" if cannot else conv.written(window),
                "keys per query": "—" if cannot else str(conv.keys_seen(theirs)),
                "ours": conv.ours_args(window),
                "same mask": same,
            }
        )
    # every column sized to its longest text (Chromium: Source Sans 14 px, under 6.5 px a character,
    # 17 px padding), together within the 938 px grid beside the sidebar of a 1400 px window (seven
    # unsized columns, the rule and the code among them, ran 1829 px); the long texts go below
    text = st.column_config.TextColumn
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "library": text(width=265),
            "their parameter": text(width=265),
            "keys per query": text("keys", width=45, help="keys per query, itself included"),
            "ours": text("ours: sliding_window(…)", width=185),
            "same mask": text(width=170),
        },
    )
    if refused:
        st.markdown("\n".join(refused))
    # the long texts, under the table where they wrap: each rule as its code writes it, and where
    st.markdown(
        "**Each rule, from its library's code:**\n"
        + "\n".join(f"- {conv.library}: `{conv.rule}`, read from {conv.code}" for conv in ALL_CONVENTIONS)
    )
    # the same number handed to every rule: what each one then builds
    read = []
    for conv in ALL_CONVENTIONS:
        refusal, ours = conv.refusal(window), conv.ours_for(window)
        if refusal:
            read.append(f"- {conv.library}: {refusal}")
            continue
        same = f"our `{conv.ours_call(ours)}`" if ours else "no window of ours"
        read.append(f"- {conv.library}: `{conv.write(window)}` sees {_keys(conv.keys_seen(window))}, {same}")
    st.markdown(f"**The number {window} as each rule reads it:**\n" + "\n".join(read))
    for family, readings in disagreements(window):
        counts = ", ".join(
            f"{conv.library} (`{conv.write(window)}`) " + ("refuses it" if keys is None else f"sees {_keys(keys)}")
            for conv, keys in readings
        )
        st.markdown(f"“{family}” names {len(readings)} rules that read {window} differently: {counts}.")


def mask_section(page: Context, mask_a: masks.Predicate) -> None:
    """One mask in detail: the figure, its empty rows, and tabs of code, conventions, stats, windows."""
    with page.lecture.on_stage():
        mask, stats = draw_mask(page, mask_a)
    with page.lecture.beside(), varying():
        explain_empty_rows(page.q_tokens, mask_a, stats)
    # bound to the URL, so only the open tab's content runs (and a link opens the same tab)
    tabs = page.link.tabs(["Code", "Conventions", "Stats", "Windows"], "tab")
    for tab, show in zip(
        tabs,
        [
            lambda: code_tab(mask_a),
            lambda: conventions_tab(mask_a, mask),
            lambda: stats_tab(page, stats),
            lambda: windows_tab(page, mask_a),
        ],
        strict=True,
    ):
        if tab.open:
            with tab:
                show()


def compare_section(page: Context, mask_a: masks.Predicate, mask_b: masks.Predicate) -> None:
    """Two masks side by side and their difference."""
    with page.lecture.on_stage():
        left, right = st.columns(2)
        with left:
            a, _ = draw_mask(page, mask_a, f"A: {mask_a.name}", key="mask_a")
        with right:
            b, _ = draw_mask(page, mask_b, f"B: {mask_b.name}", key="mask_b")
    page.lecture.show(
        figures.difference_figure(a, b, page.q_tokens, page.k_tokens, name_a=mask_a.name, name_b=mask_b.name),
        key="difference",
        alt="difference between mask A and mask B",
        under=True,  # what the view is about: on a projector, scrolled to, it fills the screen
    )


def unilm_section(page: Context) -> None:
    """UniLM's four masks on these tokens."""
    q_len, kv_len = len(page.q_tokens), len(page.k_tokens)
    with page.lecture.beside():
        prefix = page.link.integer("Source length (seq-to-seq prefix)", "unilm_prefix", 0, kv_len, min(3, kv_len))
        st.caption("UniLM trains one network for four tasks by changing only the mask.")
    unilm = [
        ("bidirectional (BERT)", masks.predicate("full", q_len, kv_len)),
        ("left-to-right (GPT)", masks.predicate("causal", q_len, kv_len)),
        ("right-to-left", masks.predicate("right_to_left", q_len, kv_len)),
        (f"seq-to-seq (prefix of {prefix})", masks.predicate("prefix_lm", q_len, kv_len, prefix=prefix)),
    ]
    fig = unilm_view(tuple((name, pred) for name, pred in unilm), tuple(page.q_tokens), tuple(page.k_tokens))
    with page.lecture.on_stage():  # one figure, two by two: side by side is the point
        page.lecture.show(fig, key="unilm", main=True, alt="UniLM's four masks: " + ", ".join(n for n, _ in unilm))


@bounded(max_bytes=32 * MiB)
def unilm_view(unilm: tuple, q_tokens: tuple, k_tokens: tuple):
    panels = [(name, pred.build()) for name, pred in unilm]
    return figures.mask_panels(panels, list(q_tokens), list(k_tokens), title="UniLM: one network, four masks")


def show() -> None:
    link = Link()
    lecture = Lecture(link, "Masks")
    tokens, notices = token_controls(link)
    with lecture.beside():
        view = link.choice(
            "View",
            "view",
            VIEWS,
            "mask",
            help="mask: one mask in detail; compare: two masks and their difference; "
            "unilm: the four masks of UniLM on this sentence",
        )
    with st.sidebar:
        st.header("Mask")
        if view == "unilm":  # its four masks are fixed: scheme controls here would do nothing
            st.caption(
                "The UniLM view draws its own four masks; the scheme controls are in the mask and compare views."
            )
            q_tokens, k_tokens, mask_a, mask_b = tokens.queries, tokens.keys, None, None
        else:
            q_tokens, k_tokens, mask_a, mask_b = mask_controls(link, tokens, view)
    with lecture.beside(), varying():
        for notice in notices:
            show_notice(notice)
    page = Context(link, lecture, q_tokens, k_tokens, tokens)
    with in_turn(len(q_tokens) * len(k_tokens)):  # a mask of 4096 x 4096 takes 0.3 GB while it is drawn
        if view == "mask":
            mask_section(page, mask_a)
        elif view == "compare":
            compare_section(page, mask_a, mask_b)
        else:
            unilm_section(page)
    lecture.share()
