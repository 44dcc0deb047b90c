"""Checks of a WHEP offer (RFC 9725 section 4.2) before a peer connection sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sender_common.errors import InvalidInputError, SenderError

if TYPE_CHECKING:
    from aiortc.sdp import SessionDescription

__all__ = ["BadOfferError", "UnsupportedMediaError", "check_offer"]

MAX_OFFER = 64 * 1024


class BadOfferError(SenderError):
    """Not an SDP offer a peer connection can take: 400."""

    status_code = 400


class UnsupportedMediaError(SenderError):
    """The body is not `application/sdp`: 415."""

    status_code = 415


def check_offer(text: str) -> SessionDescription:
    """The parsed offer; raises BadOfferError for malformed SDP, InvalidInputError (422) for
    one we cannot serve (no H.264 video it would receive)."""
    if len(text) > MAX_OFFER:
        raise BadOfferError(f"offer larger than {MAX_OFFER} bytes")
    if not text.startswith("v=0") or "\nm=" not in text:
        raise BadOfferError("not an SDP offer (RFC 8866): no v=0 or no media")
    from aiortc.sdp import SessionDescription  # aiortc (and PyAV) load with the first offer

    try:
        parsed = SessionDescription.parse(text)
    except (ValueError, LookupError, TypeError, AttributeError, AssertionError) as exc:
        raise BadOfferError(f"malformed SDP: {type(exc).__name__}") from exc
    video = [m for m in parsed.media if m.kind == "video"]
    if not video:
        raise InvalidInputError("the offer has no video section")
    for media in parsed.media:
        if (
            media.ice is None
            or not media.ice.usernameFragment
            or not media.dtls
            or not media.dtls.fingerprints
        ):
            raise BadOfferError("the offer lacks ICE credentials or a DTLS fingerprint")
    if not any(c.mimeType.lower() == "video/h264" for m in video for c in m.rtp.codecs):
        raise InvalidInputError("the offer does not accept H.264 video (the stream's codec)")
    if all(m.direction not in ("recvonly", "sendrecv", None) for m in video):
        raise InvalidInputError("the offer's video is not receive-only")
    return parsed
