"""The aiortc side of a WHEP session: its peer connection, tracks, answer and candidates.

Imported by `sessions.py` with the first offer, so a role that never answers one never
loads aiortc or PyAV (tens of MB of a role's resident memory).
"""

from __future__ import annotations

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError
from aiortc.sdp import candidate_from_sdp

from sender_common.errors import UnavailableError
from sender_common.webrtc.hub import MediaHub
from sender_common.webrtc.ice import use_hosts
from sender_common.webrtc.offer import BadOfferError
from sender_common.webrtc.ports import PortPool
from sender_common.webrtc.tracks import EncodedTrack

__all__ = ["REFUSED", "add_candidates", "add_tracks", "answer", "connection"]

REFUSED = (
    ValueError,
    LookupError,
    AssertionError,
    InvalidAccessError,
    InvalidStateError,
    OperationError,
    InternalError,
)


def connection() -> RTCPeerConnection:
    return RTCPeerConnection()


def add_tracks(
    pc: RTCPeerConnection, hub: MediaHub, endpoint: str, kinds: set[str]
) -> list[EncodedTrack]:
    """A send-only track per offered kind (video first), H.264 the only video codec."""
    tracks = []
    for kind in ("video", "audio"):
        if kind not in kinds:
            continue
        track = EncodedTrack(hub, endpoint, kind)
        transceiver = pc.addTransceiver(track, direction="sendonly")
        if kind == "video":  # the stream is H.264: never let VP8 be negotiated
            caps = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences(
                [c for c in caps if c.mimeType.lower() in ("video/h264", "video/rtx")]
            )
        tracks.append(track)
    return tracks


async def answer(pc: RTCPeerConnection, offer: str, hosts: list[str], pool: PortPool) -> str:
    """The SDP answer to `offer`, every candidate gathered on `hosts` (no trickle needed)."""
    try:
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        use_hosts(pc, hosts, pool)  # bundled: the transports that stay
        await pc.setLocalDescription(await pc.createAnswer())
    except REFUSED as exc:  # aiortc's errors for offers it cannot take
        raise BadOfferError(f"cannot answer the offer: {exc}") from exc
    sdp: str = pc.localDescription.sdp
    if "a=candidate:" not in sdp:
        raise UnavailableError("no ICE candidate could be bound", retry_after=5)
    return sdp


async def add_candidates(pc: RTCPeerConnection, fragment: str) -> None:
    """Trickle ICE (RFC 8840): the viewer's candidates in an SDP fragment."""
    mids = [t.mid for t in pc.getTransceivers()]
    for line in fragment.splitlines():
        line = line.strip()
        if line.startswith("a=candidate:"):
            try:
                candidate = candidate_from_sdp(line[2:])
                candidate.sdpMid = mids[0] if mids else None
                await pc.addIceCandidate(candidate)
            except REFUSED as exc:
                raise BadOfferError("malformed ICE candidate") from exc
