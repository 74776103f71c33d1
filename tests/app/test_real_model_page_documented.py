"""docs/real-models.md, "On the page": the Attention page's example for the shipped model, its
padding lesson and its head roles, stated there with the numbers computed here."""

import torch
import torch.nn.functional as F

import masks
from app.views.attention.real import EXAMPLE
from model import hf
from model.inspect import head_roles, named_heads
from tests.model.test_hf import documented


def test_the_documented_numbers_for_the_shipped_model():
    minilm = hf.load("minilm-l6")
    texts = EXAMPLE.splitlines()
    own = minilm.run(texts)
    full = minilm.run(texts, mask=masks.build("full", own.hidden.shape[1]))
    alone = minilm.run(texts[1:]).pooled()[0]
    assert texts[1] == "a dog barked" and own.lengths[1] + 9 == own.hidden.shape[1]  # "its 9 padding tokens"
    cosine = F.cosine_similarity(alone, full.pooled()[1], dim=0).item()
    assert cosine < 0.95  # `full` lets it read its padding: its embedding moves
    assert f"attend to its 9 padding tokens (cosine {cosine:.2f})" in documented()
    special = torch.tensor([[t in ("[CLS]", "[SEP]") for t in row] for row in own.tokens]) & own.real
    shares = head_roles(own.pointers, own.lengths, special)
    named = named_heads(shares, 0.5)
    assert shares["previous"][0, 2] == 1.0 and named[(0, 2)][0] == "previous"
    assert named[(1, 8)][0] == "next"
    assert sum(role == "special" for role, _ in named.values()) > len(named) / 2  # "most others"
    assert (
        f"layer 0 head 2 is a previous-token head ({named[(0, 2)][1]:.0%} of rows; the page opens on it), "
        "layer 1 head 8 a next-token head"
    ) in documented()
