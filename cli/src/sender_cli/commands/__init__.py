"""Sub-commands that talk to a running node over HTTP."""
