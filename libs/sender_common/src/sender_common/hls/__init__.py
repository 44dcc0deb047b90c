"""HLS: playlist parsing and writing (RFC 8216) and the shared serving app."""

from sender_common.hls.playlist import (
    MasterPlaylist,
    MediaPlaylist,
    PlaylistError,
    Segment,
    Variant,
    parse_master_playlist,
    parse_media_playlist,
    write_master_playlist,
    write_media_playlist,
)

# uvicorn's `--http` for every role: the HLS URL space served without ASGI (hls/serve/protocol.py)
HTTP_PROTOCOL = "sender_common.hls.serve.protocol:HlsHttpProtocol"

__all__ = [
    "HTTP_PROTOCOL",
    "MasterPlaylist",
    "MediaPlaylist",
    "PlaylistError",
    "Segment",
    "Variant",
    "parse_master_playlist",
    "parse_media_playlist",
    "write_master_playlist",
    "write_media_playlist",
]
