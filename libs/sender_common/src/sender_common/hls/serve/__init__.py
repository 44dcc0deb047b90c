"""The HLS serving path: `/sender/hls/...` answered on every role without ASGI per request.

`protocol` (uvicorn's httptools protocol, HLS answered in the parser callback; `answering`,
`cycle`, `timers`), `app` (`HlsApp`: what a request resolves to), `request` (paths, vsid,
blocking-reload directives), `wire` and `responses` (the bytes of an answer), `spoolcache`
(the spool's files in memory).
"""
