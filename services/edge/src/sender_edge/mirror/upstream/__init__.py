"""Talking to an upstream: which upstreams are allowed (`policy`), guarded and bounded HTTP
(`fetch`), what an upstream offers (`discovery`), file downloads (`downloader`), and how
failures are classified (`failures`)."""
