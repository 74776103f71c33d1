"""The numbers the attention pages show: pipeline, entropy, rollout, shapes, the model's own answer."""

import math

import pytest
import torch

import masks
from model import pretrained
from model.inspect import block_shapes, entropy, greedy_decode, max_entropy, pipeline, rollout
from model.transformer import attention

torch.manual_seed(0)


def test_pipeline_softmax_is_the_models_attention_and_dropout_is_seeded():
    q, k, v = torch.randn(3, 1, 1, 7, 8).unbind(0)
    mask = masks.build("causal", 7) & masks.build("padding", 7, pad=2, side="left")
    expected = attention(q, k, v, mask)
    stages = pipeline(expected.scores[0, 0], mask, dropout_p=0.5, seed=3)
    assert torch.allclose(stages["weights"], expected.weights[0, 0], atol=1e-6)
    assert (stages["masked"][~mask] == float("-inf")).all()
    assert torch.equal(stages["dropout"], pipeline(expected.scores[0, 0], mask, 0.5, 3)["dropout"])
    kept = stages["dropout"] != 0
    assert torch.allclose(stages["dropout"][kept], 2 * stages["weights"][kept])
    assert torch.equal(pipeline(expected.scores[0, 0], mask, 0.0)["dropout"], stages["weights"])
    with pytest.raises(ValueError, match="dropout_p must be between 0 and 1"):
        pipeline(expected.scores[0, 0], mask, 1.0)


def test_entropy_is_zero_for_one_key_and_log_k_for_uniform():
    one_hot = torch.eye(5)[None]  # (H=1, Q=5, K=5)
    uniform = torch.full((1, 5, 5), 0.2)
    assert entropy(one_hot).item() == pytest.approx(0.0, abs=1e-6)
    assert entropy(uniform).item() == pytest.approx(math.log(5), rel=1e-6)
    with_empty_row = torch.cat([uniform[:, :4], torch.zeros(1, 1, 5)], dim=1)
    assert entropy(with_empty_row).item() == pytest.approx(math.log(5), rel=1e-6)  # empty rows do not count


def test_the_most_a_masked_head_can_spread_is_uniform_over_each_rows_allowed_keys():
    """Under a causal mask row i has i + 1 keys: the bound is the mean of log(i + 1), not log(K)."""
    causal = torch.ones(5, 5).tril().bool()
    uniform_allowed = causal / causal.sum(dim=-1, keepdim=True)
    bound = max_entropy(causal)
    assert bound == pytest.approx(sum(math.log(i + 1) for i in range(5)) / 5)
    assert entropy(uniform_allowed[None]).item() == pytest.approx(bound, rel=1e-6) and bound < math.log(5)
    no_key = causal.clone()
    no_key[0] = False  # a row with no key does not count, as in entropy
    assert max_entropy(no_key) == pytest.approx(sum(math.log(i + 1) for i in range(1, 5)) / 4)
    assert max_entropy(torch.ones(3, 4, dtype=torch.bool)) == pytest.approx(math.log(4))


def test_rollout_rows_are_distributions_and_one_uniform_layer_mixes_half():
    weights = torch.softmax(torch.randn(3, 4, 6, 6), dim=-1)
    flow = rollout(weights)
    assert torch.allclose(flow.sum(dim=-1), torch.ones(6), atol=1e-6)
    single = rollout(torch.full((1, 2, 4, 4), 0.25))
    assert torch.allclose(single, 0.5 * torch.eye(4) + 0.125)


def test_block_shapes_match_the_tensors_the_model_returns():
    loaded = pretrained.load("mirror")
    ids = torch.tensor([loaded.tokenizer.encode(loaded.task.example)])
    out = loaded.model(ids)
    shapes = dict((name, shape) for name, shape, _ in block_shapes(loaded.model.config, ids.shape[1]))
    assert shapes["scores = q k^T / sqrt(d)"] == tuple(out.attentions[0].scores.shape)
    assert shapes["weights = softmax(masked scores)"] == tuple(out.attentions[0].weights.shape)
    assert shapes["x + FFN(x)"] == (1, ids.shape[1], loaded.model.config.d_model)


def test_greedy_decode_of_the_reverse_model_writes_the_source_backwards():
    loaded = pretrained.load("reverse")
    src = loaded.tokenizer.encode("abcdefg")
    answer = greedy_decode(loaded.model, torch.tensor([src]), loaded.tokenizer.bos_id, loaded.tokenizer.eos_id, 12)
    assert "".join(loaded.tokenizer.decode(answer)) == "gfedcba"


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_greedy_decode_encoding_the_source_once_answers_as_the_whole_model_run_at_every_step(norm):
    """An untrained model never stops by itself: 20 tokens, each the whole model's greedy choice for a
    padded source, and the encoder and the decoder run apart give the whole model's output."""
    from model.transformer import Transformer, TransformerConfig

    config = TransformerConfig(
        arch="encoder_decoder", vocab_size=30, d_model=32, n_heads=2, n_layers=2, d_ff=64, max_len=40, norm=norm
    )
    model = Transformer(config, generator=torch.Generator().manual_seed(1)).eval()
    src = torch.tensor([[5, 9, 7, 11, 3, config.pad_id, config.pad_id]])
    bos, eos = 1, 29
    expected = [bos]
    with torch.no_grad():
        for _ in range(20):
            token = int(model(src, torch.tensor([expected])).logits[0, -1].argmax())
            if token == eos:
                break
            expected.append(token)
        whole = model(src, torch.tensor([expected]))
        memory, encoder_attentions, src_mask = model.encode(src)
        apart = model.decode(torch.tensor([expected]), memory, src)
    assert greedy_decode(model, src, bos, eos, 20) == expected[1:]
    assert torch.equal(apart.logits, whole.logits) and torch.equal(src_mask, whole.masks["encoder"])
    assert all(
        torch.equal(a.weights, b.weights) for a, b in zip(apart.cross_attentions, whole.cross_attentions, strict=True)
    )
    assert all(
        torch.equal(a.weights, b.weights) for a, b in zip(encoder_attentions, whole.encoder_attentions, strict=True)
    )
    assert whole.masks["cross"][0, 0, :, -2:].any() == torch.tensor(False)  # the source's padding unread


def test_greedy_decode_stops_when_its_reader_has_gone():
    """The app decodes for a browser tab; once the tab is gone, the remaining steps are not run."""
    loaded = pretrained.load("reverse")
    src = torch.tensor([loaded.tokenizer.encode("abcdefgh")])
    steps = []

    def keep_going() -> bool:
        steps.append(1)
        return len(steps) < 3

    with pytest.raises(InterruptedError, match="after 2 of at most 12 tokens"):
        greedy_decode(loaded.model, src, loaded.tokenizer.bos_id, loaded.tokenizer.eos_id, 12, keep_going)
    assert len(steps) == 3


def test_head_roles_count_real_rows_where_each_role_can_occur():
    from model.inspect import head_roles, named_heads, pointers

    T = 5
    eye = torch.eye(T)
    previous = torch.roll(eye, shifts=-1, dims=1)  # row q puts its weight on key q - 1 (row 0 on key 4)
    weights = [torch.stack([previous, eye])[None]]  # one layer, one sequence, heads: previous, itself
    lengths = [4]  # the last token is padding: its row is not counted
    special = torch.tensor([[True, False, False, True, False]])  # [CLS] ... [SEP]
    shares = head_roles(pointers(weights), lengths, special)
    assert shares["previous"][0].tolist() == [1.0, 0.0]  # rows 1..3 (row 0 has no previous token)
    assert shares["self"][0].tolist() == [0.0, 1.0]  # rows 0..3; row 0 of head 0 points at key 4, not itself
    assert shares["special"][0].tolist() == [0.25, 0.5]  # head 0: row 1 on [CLS]; head 1: rows 0, 3 on themselves
    assert shares["next"][0].tolist() == [0.0, 0.0]
    assert named_heads(shares, 0.9) == {(0, 0): ("previous", 1.0), (0, 1): ("self", 1.0)}
    no_special = head_roles(pointers(weights), lengths, torch.zeros(1, T, dtype=torch.bool))
    assert no_special["special"].isnan().all()  # no row where the role can occur: not a 0% claim
