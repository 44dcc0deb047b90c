"""Multi-node end-to-end tests: real role processes on distinct loopback addresses."""
