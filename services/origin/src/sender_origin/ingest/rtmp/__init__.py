"""RTMP ingest: the front end (`server.py`), the chunk stream (`chunks.py`) and AMF0 (`amf0.py`)."""
