"""Maps side by side in one figure: the layout of a rows x cols grid of square cells, and traces
placed in its cells (the pipeline's four stages, UniLM's four masks)."""

from __future__ import annotations


def grid_layout(rows: int, cols: int, *, gap_x: float, gap_y: float = 0.0, col_titles=(), row_titles=()) -> dict:
    """The layout make_subplots builds for a rows x cols grid (cell k = row * cols + col, row 0 on
    top, titles as annotations) at a fraction of its cost (its validation is most of a figure's build).
    Cells are square (a query x key map keeps its shape however wide the screen), centred in their
    slots; titles are placed on the cells themselves, so they stay beside them."""
    width, height = (1 - gap_x * (cols - 1)) / cols, (1 - gap_y * (rows - 1)) / rows
    xs = [(c * (width + gap_x), c * (width + gap_x) + width) for c in range(cols)]
    ys = [(max(0.0, 1 - r * (height + gap_y) - height), 1 - r * (height + gap_y)) for r in range(rows)]  # no -1e-17
    layout = {}
    for k in range(rows * cols):
        n = cell_suffix(k)
        layout[f"xaxis{n}"] = {"anchor": f"y{n}", "domain": xs[k % cols], "constrain": "domain"}
        layout[f"yaxis{n}"] = {
            "anchor": f"x{n}",
            "domain": ys[k // cols],
            "constrain": "domain",
            "scaleanchor": f"x{n}",
        }
    title = {"font": {"size": 16}, "showarrow": False}

    def on(k: int) -> dict:
        return {"xref": f"x{cell_suffix(k)} domain", "yref": f"y{cell_suffix(k)} domain"}

    on_top = {"x": 0.5, "xanchor": "center", "y": 1.0, "yanchor": "bottom"}
    # row titles down the left edge: the right edge is the modebar's
    on_left = {"textangle": -90, "x": 0, "xanchor": "right", "xshift": -4, "y": 0.5, "yanchor": "middle"}
    layout["annotations"] = [{**title, **on(c), **on_top, "text": t} for c, t in enumerate(col_titles)] + [
        {**title, **on(r * cols), **on_left, "text": t} for r, t in enumerate(row_titles)
    ]
    return layout


def cell_suffix(k: int) -> str:
    """Axis names of grid cell k: x, y for the first, x2, y2 for the second, ..."""
    return "" if k == 0 else str(k + 1)


def in_cell(trace: dict, k: int) -> dict:
    """A trace (a plain dict) on grid cell k's axes."""
    return {**trace, "xaxis": f"x{cell_suffix(k)}", "yaxis": f"y{cell_suffix(k)}"}
