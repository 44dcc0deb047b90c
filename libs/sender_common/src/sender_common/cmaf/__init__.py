"""CMAF packaging: reading fragmented MP4 (`fmp4`) and keeping one rendition's fMP4 timeline
across ffmpeg runs (`splice`)."""
