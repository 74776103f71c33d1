"""The Attention page: a trained, a random or a real pretrained model (real.py), a text, a mask; what
every head attends to."""

from app.views.attention.page import show

__all__ = ["show"]
