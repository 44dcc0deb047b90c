"""Mirroring an upstream endpoint's live HLS into this edge's spool."""
