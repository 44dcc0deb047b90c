"""HLS: the LL-HLS playlist model (`hls.playlist`) and the shared serving app."""

# uvicorn's `--http` for every role: the HLS URL space served without ASGI (hls/serve/protocol.py)
HTTP_PROTOCOL = "sender_common.hls.serve.protocol:HlsHttpProtocol"

__all__ = ["HTTP_PROTOCOL"]
