"""media: see DESIGN.md, Layout."""
