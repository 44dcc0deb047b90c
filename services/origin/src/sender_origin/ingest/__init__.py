"""RTMP (`rtmp/`) and SRT (`srt/`) ingest behind one small interface (`admission.py`):
authorize a publish, then hand its media on, FLV tags (RTMP) or MPEG-TS bytes (SRT); the
containers themselves are in `sender_origin.media`."""
