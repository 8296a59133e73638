"""indicators: see DESIGN.md, Layout."""
