"""fieldwork: see DESIGN.md, Layout."""
