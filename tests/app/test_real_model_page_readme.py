"""README, "Real pretrained models": its numbers are those of the Attention page's example."""

import torch
import torch.nn.functional as F

import masks
from app.views.attention.real import EXAMPLE
from model import hf
from model.inspect import head_roles, named_heads


def test_the_readmes_numbers_for_the_shipped_model():
    """The page's example, its padding lesson and its head roles."""
    minilm = hf.load("minilm-l6")
    texts = EXAMPLE.splitlines()
    own = minilm.run(texts)
    full = minilm.run(texts, mask=masks.build("full", own.hidden.shape[1]))
    alone = minilm.run(texts[1:]).pooled()[0]
    assert texts[1] == "a dog barked" and own.lengths[1] + 9 == own.hidden.shape[1]  # "its 9 padding tokens"
    assert round(F.cosine_similarity(alone, full.pooled()[1], dim=0).item(), 2) == 0.86
    special = torch.tensor([[t in ("[CLS]", "[SEP]") for t in row] for row in own.tokens]) & own.real
    shares = head_roles(own.pointers, own.lengths, special)
    named = named_heads(shares, 0.5)
    assert shares["previous"][0, 2] == 1.0 and named[(0, 2)][0] == "previous"
    assert named[(1, 8)][0] == "next"
    assert sum(role == "special" for role, _ in named.values()) > len(named) / 2  # "most others"
