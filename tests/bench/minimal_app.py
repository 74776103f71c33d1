"""The framework's floor: one slider and the text it drives. Baseline of the app benchmarks."""

import streamlit as st

value = st.slider("value", 0, 1000, 0)
st.write(f"value is {value}")
