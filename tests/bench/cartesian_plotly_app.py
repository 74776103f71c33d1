"""The one-heatmap app (tests/bench/minimal_plotly_app.py), drawn another way: plotly.js's cartesian
bundle (heatmap, scatter, image, bar...; 1.5 MB) loaded once from the app's static folder, in a
components v2 element, instead of st.plotly_chart (Streamlit's chunk carries all of Plotly, 4.7 MB).
Served by tests/bench/bench_plotly_bundle.py, which fetches the bundle; not part of the app."""

import json

import plotly.graph_objects as go
import streamlit as st
import torch

DRAW = """
export default async function ({ parentElement, data }) {
  if (!window.Plotly) {
    window.plotlyLoading ??= new Promise((loaded, failed) => {
      const script = document.createElement("script");
      script.src = "./app/static/plotly-cartesian.min.js";
      script.onload = loaded;
      script.onerror = failed;
      document.head.appendChild(script);
    });
    await window.plotlyLoading;
  }
  let figure = parentElement.querySelector(".figure");
  if (!figure) {
    figure = document.createElement("div");
    figure.className = "figure";
    parentElement.appendChild(figure);
  }
  await Plotly.react(figure, data.data, data.layout, { displaylogo: false });
}
"""

heatmap = st.components.v2.component("cartesian_heatmap", js=DRAW, isolate_styles=False)
size = int(st.query_params.get("n", "64"))
head = int(st.pills("Head", ["0", "1", "2", "3"], default="0", required=True))
weights = torch.softmax(torch.randn(size, size, generator=torch.Generator().manual_seed(head)), dim=-1)
figure = go.Figure(go.Heatmap(z=weights.numpy()))
figure.update_layout(title=f"head {head}", template="plotly_white", height=450)
heatmap(data=json.loads(figure.to_json()), key="heatmap")
