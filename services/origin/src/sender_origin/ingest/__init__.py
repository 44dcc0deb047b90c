"""RTMP and SRT ingest behind one small interface: authorize a publish, receive FLV tags
(RTMP) or MPEG-TS bytes (SRT)."""

from sender_origin.ingest.base import PublishRefused, PublishSink
from sender_origin.ingest.flv import FLV_HEADER, flv_tag

__all__ = ["FLV_HEADER", "PublishRefused", "PublishSink", "flv_tag"]
