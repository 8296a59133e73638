"""ops: running a deployment (backup and restore). See DESIGN.md, Layout."""
