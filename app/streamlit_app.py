"""Entry point: page config and navigation, nothing else."""

import streamlit as st

import masks

st.set_page_config(page_title="Attention mask lab", layout="wide")
st.title("Attention mask lab")
st.code(masks.draw(masks.build("causal", 8)), language=None)
