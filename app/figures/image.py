"""Masks too large to draw cell by cell: the categories as one PNG image, downsampled past a size."""

from __future__ import annotations

import base64
import io

import torch
from PIL import Image

HEATMAP_LIMIT = 256  # above this, the mask is sent as one PNG image (payload stays small)


IMAGE_LIMIT = 1024  # above this, the image is downsampled and says so


def image_trace(z: torch.Tensor, colors: list[str]) -> tuple[dict, str | None]:
    """The categories as one PNG: a few KB even at 4096 x 4096. Above IMAGE_LIMIT each pixel
    is a square block, coloured by the mix of its cells' categories (a block's shade shows it)."""
    palette = torch.tensor([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colors], dtype=torch.float32)
    factor = -(-max(z.shape) // IMAGE_LIMIT)
    note = None
    if factor == 1:
        rgb = palette[z.long()]
    else:
        rows, cols = -(-z.shape[0] // factor), -(-z.shape[1] // factor)
        padded = z
        if z.shape != (rows * factor, cols * factor):  # edge blocks: pad with category 0, not counted below
            padded = torch.zeros((rows * factor, cols * factor), dtype=torch.uint8)
            padded[: z.shape[0], : z.shape[1]] = z
        counts = [_block_sums(padded == c, factor) for c in range(1, len(colors))]
        in_rows = (z.shape[0] - factor * torch.arange(rows)).clamp(max=factor)
        in_cols = (z.shape[1] - factor * torch.arange(cols)).clamp(max=factor)
        cells = in_rows[:, None] * in_cols[None, :]  # real cells per block (edge blocks have fewer)
        counts = torch.stack([cells - sum(counts), *counts], dim=-1).float()
        rgb = counts / counts.sum(dim=-1, keepdim=True) @ palette
        note = f"downsampled {factor}x: each pixel is a {factor} x {factor} block, its shade the mix"
    buffer = io.BytesIO()
    Image.fromarray(rgb.round().to(torch.uint8).numpy()).save(buffer, format="PNG", compress_level=3)
    source = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    offset = (factor - 1) / 2  # pixel centres sit in the middle of their blocks
    image = {"type": "image", "source": source, "x0": offset, "dx": factor, "y0": offset, "dy": factor}
    return {**image, "hoverinfo": "x+y"}, note


def _block_sums(cells: torch.Tensor, factor: int) -> torch.Tensor:
    """Sums over factor x factor blocks: the block's rows added as whole contiguous rows first,
    then runs of `factor` (contiguous memory first: faster than the other order or strided sums)."""
    rows, cols = cells.shape[0] // factor, cells.shape[1] // factor
    stacked = cells.view(rows, factor, cols * factor)
    total = stacked[:, 0].to(torch.int16)
    for k in range(1, factor):
        total += stacked[:, k]
    return total.view(rows, cols, factor).sum(dim=-1, dtype=torch.int16)
