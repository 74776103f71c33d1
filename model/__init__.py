"""A small transformer written to be read, and the tokenizers that label heatmap axes.

from model import Transformer, TransformerConfig, attention
from model import hf  # real pretrained models through the same `attention` (imports transformers)
"""

from model.transformer import Transformer, TransformerConfig, attention, masked_softmax

__all__ = ["Transformer", "TransformerConfig", "attention", "masked_softmax"]
