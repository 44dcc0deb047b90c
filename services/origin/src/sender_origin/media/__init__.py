"""Media containers as a publisher sends them: FLV tags (RTMP, `flv.py`), MPEG-TS (SRT,
`mpegts.py`), and the keyframe watch over FLV video (`keyframes.py`)."""
