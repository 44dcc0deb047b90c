"""RTMP ingest behind one small interface: authorize a publish, receive FLV tags."""

from sender_origin.ingest.base import IngestServer, PublishRefused, PublishSink
from sender_origin.ingest.flv import FLV_HEADER, flv_tag

__all__ = ["FLV_HEADER", "IngestServer", "PublishRefused", "PublishSink", "flv_tag"]
