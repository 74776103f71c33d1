"""A small transformer written to be read, and the tokenizers that label heatmap axes."""
