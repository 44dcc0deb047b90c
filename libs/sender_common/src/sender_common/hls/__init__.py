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

__all__ = [
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
