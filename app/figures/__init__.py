"""Figure builders: tensors and labels in, a Plotly figure out. No Streamlit here.

Every figure has an explicit template and colours (Streamlit's default template only works
inside Streamlit, so exports would come out wrong) and colour-blind-safe colours (Okabe-Ito).
Blocked cells get their own colour, never the low end of a continuous scale.

The figures a new link builds are written as plain dicts and handed to Plotly unchecked
(`style.plain_figure`): Plotly's checking of each property was most of such a run's time, and
tests/app/test_unchecked_figures.py checks that each sends what Plotly's checked copy of it sends.

One module per job. What figures share:
- `style`: font, palette, template, how many cells are drawn one by one, axis and legend labels,
  figures of plain dicts
- `frame`: title, font and margins of every figure; a heatmap of queries x keys and its height rule
- `margins`: room for labels, legends and colour bars, from glyph widths (so Plotly draws once)
- `image`: a mask too large to draw cell by cell, as one PNG
- `panels`: maps side by side in one figure
- `projector`, `dark`: a built figure made for a projector, for a dark page
The figures:
- `cells`: cells by category (masks, thumbnails, the normalization's cells)
- `weights`: attention weights (one head, the grid of heads, the pipeline, lines, matrices)
- `charts`: line and bar charts
- `offline`: figures as one HTML file
Pages use the names below.
"""

from app.figures.cells import (
    category_figure,
    difference_figure,
    mask_figure,
    mask_panels,
    norm_cells_figure,
    thumbnail,
)
from app.figures.charts import keys_per_query_figure, lines_figure
from app.figures.dark import DARK, for_dark_theme
from app.figures.offline import standalone_html
from app.figures.projector import for_projector
from app.figures.style import ALLOWED, BLOCKED, EMPTY_ROW, FONT, SERIES, chart_config, copied, plain_figure, unchecked
from app.figures.weights import (
    NUMBERS_LIMIT,
    attention_figure,
    grid_figure,
    grid_maps,
    head_frame,
    lines_view,
    matrix_figure,
    pipeline_figure,
)

__all__ = [
    "NUMBERS_LIMIT",
    "ALLOWED",
    "BLOCKED",
    "DARK",
    "EMPTY_ROW",
    "FONT",
    "SERIES",
    "attention_figure",
    "category_figure",
    "chart_config",
    "difference_figure",
    "for_dark_theme",
    "for_projector",
    "grid_figure",
    "grid_maps",
    "head_frame",
    "keys_per_query_figure",
    "lines_figure",
    "lines_view",
    "mask_figure",
    "mask_panels",
    "matrix_figure",
    "norm_cells_figure",
    "pipeline_figure",
    "standalone_html",
    "thumbnail",
    "copied",
    "plain_figure",
    "unchecked",
]
