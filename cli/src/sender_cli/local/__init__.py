"""Local mode: every role as a child process of `sender up`."""
