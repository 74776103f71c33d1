"""The transformer: every architecture and norm placement, masks in and weights out, causality."""

import math

import pytest
import torch

import masks
from model.transformer import ARCHS, Transformer, TransformerConfig, sinusoidal

torch.manual_seed(0)


def make(arch="decoder", **overrides):
    return Transformer(
        TransformerConfig(arch=arch, vocab_size=20, d_model=32, n_heads=4, n_layers=2, d_ff=64, max_len=32, **overrides)
    ).eval()


def run(model, tokens, **masks_given):
    if model.config.arch == "encoder_decoder":
        return model(tokens, tokens, **masks_given)
    return model(tokens, **masks_given)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("norm", ["pre", "post"])
@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
def test_every_variant_returns_logits_and_every_attention_weight(arch, norm, positional):
    model = make(arch, norm=norm, positional=positional)
    tokens = torch.randint(1, 20, (3, 7))
    out = run(model, tokens)
    assert out.logits.shape == (3, 7, 20)
    assert len(out.attentions) == 2 and out.attentions[0].weights.shape == (3, 4, 7, 7)
    if arch == "encoder_decoder":
        assert len(out.encoder_attentions) == len(out.cross_attentions) == 2
        assert set(out.masks) == {"encoder", "decoder", "cross"}
    else:
        assert set(out.masks) == {"self"}


def test_cross_attention_is_rectangular_with_source_padding_hidden():
    model = make("encoder_decoder")
    src = torch.tensor([[5, 6, 7, 8, 0, 0]])  # two pads
    tgt = torch.tensor([[1, 9, 10]])
    out = model(src, tgt)
    weights = out.cross_attentions[0].weights
    assert weights.shape == (1, 4, 3, 6)
    assert (weights[..., 4:] == 0).all()
    assert torch.equal(out.masks["cross"][0, 0], masks.build("cross", 3, 6, pad=2))
    assert torch.equal(out.masks["decoder"][0, 0], masks.build("causal", 3))


def test_a_decoders_early_outputs_do_not_change_when_a_later_token_changes():
    model = make("decoder")
    tokens = torch.randint(1, 20, (1, 10))
    changed = tokens.clone()
    changed[0, 7] = (changed[0, 7] % 19) + 1
    a, b = model(tokens).logits, model(changed).logits
    assert torch.allclose(a[:, :7], b[:, :7], atol=1e-6)
    assert not torch.allclose(a[:, 7:], b[:, 7:], atol=1e-4)


def test_an_encoders_real_tokens_ignore_padding():
    model = make("encoder")
    real = torch.randint(1, 20, (1, 6))
    short = torch.cat([real, torch.zeros(1, 2, dtype=torch.long)], dim=1)
    long = torch.cat([real, torch.zeros(1, 6, dtype=torch.long)], dim=1)
    assert torch.allclose(model(short).logits[:, :6], model(long).logits[:, :6], atol=1e-5)
    # a token under an explicit padding mask changes nothing either
    other = long.clone()
    other[0, 8] = 5
    hidden = masks.build("padding", 12, pad=6)
    assert torch.allclose(model(long, mask=hidden).logits[:, :6], model(other, mask=hidden).logits[:, :6], atol=1e-5)


def test_any_mask_from_the_library_is_applied_and_returned():
    model = make("decoder")
    tokens = torch.randint(1, 20, (2, 8))
    window = masks.build("sliding_window", 8, window=2)
    out = model(tokens, mask=window)
    assert torch.equal(out.masks["self"], window.expand(2, 1, 8, 8))
    assert (out.attentions[1].weights[:, :, ~window] == 0).all()
    batch = masks.build_batch("prefix_lm", 8, prefix=[2, 5])
    assert torch.equal(model(tokens, mask=batch).masks["self"], batch)


def test_rows_with_no_allowed_key_give_zeros_not_nan():
    model = make("decoder")
    tokens = torch.tensor([[0, 0, 3, 4, 5]])  # left padding: pad queries see nothing
    out = model(tokens)
    assert not out.logits.isnan().any()
    assert (out.attentions[0].weights[0, :, :2] == 0).all()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"mask": torch.ones(5, 5)}, "bool tensor"),
        ({"mask": torch.ones(4, 4, dtype=torch.bool)}, r"shape \(5, 5\)"),
        ({"mask": torch.ones(3, 1, 5, 5, dtype=torch.bool)}, r"shape"),
    ],
)
def test_bad_masks_are_refused_with_the_expected_shape(bad, message):
    with pytest.raises(ValueError, match=message):
        make("decoder")(torch.randint(1, 20, (2, 5)), **bad)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("arch", "gpt", "arch must be one of"),
        ("norm", "middle", "norm must be one of"),
        ("n_heads", 5, "divisible by n_heads"),
        ("dropout", 1.5, "dropout must be between 0 and 1"),
        ("n_layers", 0, "n_layers must be an integer >= 1"),
    ],
)
def test_bad_configs_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        TransformerConfig(**{field: value})


def test_too_long_input_is_refused():
    with pytest.raises(ValueError, match="longer than max_len = 32"):
        make()(torch.ones(1, 40, dtype=torch.long))


def test_sinusoidal_positions_follow_the_paper():
    table = sinusoidal(10, 8)
    pos, i = 3, 2
    assert math.isclose(table[pos, 2 * i], math.sin(pos / 10000 ** (2 * i / 8)), rel_tol=1e-5)
    assert math.isclose(table[pos, 2 * i + 1], math.cos(pos / 10000 ** (2 * i / 8)), rel_tol=1e-5)


def test_init_schemes():
    normal = make(init="normal")
    assert abs(normal.blocks[0].self_attn.query.weight.std().item() - 0.02) < 0.005
    assert normal.blocks[0].self_attn.out.weight.std().item() < 0.015  # residual projections scaled by depth
    xavier = make(init="xavier")
    bound = math.sqrt(6 / (32 + 32))
    assert xavier.blocks[0].self_attn.query.weight.abs().max() <= bound


def test_attention_dropout_shows_in_the_returned_weights_in_training_mode():
    model = make("decoder", attn_dropout=0.5).train()
    tokens = torch.randint(1, 20, (4, 16))
    weights = model(tokens).attentions[0].weights
    allowed = masks.build("causal", 16).expand_as(weights)
    assert (weights[allowed] == 0).float().mean() > 0.3  # dropped cells are visible
    model.eval()
    assert (model(tokens).attentions[0].weights[allowed] > 0).all()


def test_sdpa_path_gives_the_same_logits_without_weights():
    model = make("encoder_decoder")
    src, tgt = torch.randint(1, 20, (2, 9)), torch.randint(1, 20, (2, 6))
    with_weights = model(src, tgt).logits
    fused = model.keep_weights(False)(src, tgt)
    assert torch.allclose(with_weights, fused.logits, atol=1e-5)
    assert fused.attentions == fused.encoder_attentions == fused.cross_attentions == []
    model.keep_weights(True)


def test_a_seeded_build_is_the_same_while_other_threads_draw_random_numbers():
    """The app builds seeded models in many sessions' threads at once: a build with its own
    generator must not depend on what the others draw from torch's global generator."""
    import threading

    config = TransformerConfig(n_layers=2, d_model=32, n_heads=4, d_ff=64)
    alone = Transformer(config, generator=torch.Generator().manual_seed(7)).state_dict()
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            torch.rand(64)

    noise = [threading.Thread(target=draw) for _ in range(2)]
    for thread in noise:
        thread.start()
    try:
        built = [Transformer(config, generator=torch.Generator().manual_seed(7)).state_dict() for _ in range(20)]
    finally:
        stop.set()
        for thread in noise:
            thread.join()
    assert all(torch.equal(b[name], alone[name]) for b in built for name in alone)


def test_the_package_exports_what_readme_imports():
    """`from model import Transformer, TransformerConfig, attention`, as README shows, runs a model
    whose every attention is that function's (the weights it returns are a softmax per row)."""
    import model

    config = model.TransformerConfig(arch="decoder", vocab_size=8, d_model=16, n_heads=2, n_layers=1, max_len=8)
    out = model.Transformer(config, generator=torch.Generator().manual_seed(0))(torch.tensor([[1, 2, 3]]))
    q = k = v = torch.randn(1, 2, 3, 8, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(model.attention(q, k, v).weights.sum(-1), torch.ones(1, 2, 3))
    assert torch.allclose(out.attentions[0].weights.sum(-1), torch.ones(1, 2, 3))


@pytest.mark.parametrize(
    ("arch", "call", "message"),
    [
        ("decoder", lambda m, t: m(t, t), "a decoder takes \\(tokens, mask=...\\), not target"),
        ("encoder", lambda m, t: m(t, src_mask=torch.ones(3, 3, dtype=torch.bool)), "not src_mask"),
        ("encoder_decoder", lambda m, t: m(t), "takes \\(src, tgt\\)"),
        ("encoder_decoder", lambda m, t: m(t, t, mask=torch.ones(3, 3, dtype=torch.bool)), "not mask"),
    ],
)
def test_each_architecture_names_the_arguments_it_takes(arch, call, message):
    config = TransformerConfig(arch=arch, vocab_size=8, d_model=16, n_heads=2, n_layers=1, max_len=8)
    model = Transformer(config, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match=message):
        call(model, torch.tensor([[1, 2, 3]]))
