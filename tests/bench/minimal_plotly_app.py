"""A second floor: one pills control and one plain Plotly heatmap it redraws (no labels, no
colour bar). What any page that redraws a heatmap pays on this machine."""

import plotly.graph_objects as go
import streamlit as st
import torch

size = int(st.query_params.get("n", "64"))
head = int(st.pills("Head", ["0", "1", "2", "3"], default="0", required=True))
weights = torch.softmax(torch.randn(size, size, generator=torch.Generator().manual_seed(head)), dim=-1)
figure = go.Figure(go.Heatmap(z=weights.numpy()))
figure.update_layout(title=f"head {head}")
st.plotly_chart(figure)
