"""The LL-HLS playlist model (RFC 8216bis), the same at the origin and on edges.

- `syntax`: lines, attribute lists and checked values, shared by the parsers;
- `parse`: the one media-playlist parser; `master`: master playlists, read and written;
- `segments`: segments, parts and rendition reports;
- `live`: one live playlist (a sliding window plus the open segment's parts, blocking
  reloads); `render`: its text; `reload`: answering a playlist request from it;
- `partstore`: the bytes of recent parts; `tags`: tag lines every playlist writes alike;
- `dvr_playlist`: the DVR window's index and playlist.

Import the modules themselves: this package exports nothing, so that the serving path can
use the model without an import cycle.
"""
