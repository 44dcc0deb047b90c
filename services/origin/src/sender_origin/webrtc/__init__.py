"""The origin's WebRTC source: each RTMP publish's tags as encoded frames for WHEP."""
