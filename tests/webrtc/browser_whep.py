"""A bare WHEP viewer page in chromium: offer, answer, and what it decoded."""

from __future__ import annotations

from typing import Any

OPEN = """async (url) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', {direction: 'recvonly'});
  pc.addTransceiver('audio', {direction: 'recvonly'});
  const v = document.createElement('video');
  v.muted = true; v.autoplay = true; v.playsInline = true;
  document.body.appendChild(v);
  window.rvfc = 0;
  const count = () => { window.rvfc += 1; v.requestVideoFrameCallback(count); };
  v.requestVideoFrameCallback(count);
  pc.ontrack = (e) => { v.srcObject = e.streams[0] || new MediaStream([e.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === 'complete') done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
    setTimeout(done, 2000);
  });
  const res = await fetch(url, {method: 'POST', headers: {'content-type': 'application/sdp'},
                                body: pc.localDescription.sdp});
  if (res.status !== 201) return res.status;
  await pc.setRemoteDescription({type: 'answer', sdp: await res.text()});
  window.whep = {pc, v, location: res.headers.get('location')};
  return res.status;
}"""

STATS = """async () => {
  const out = {state: whep.pc.connectionState, time: whep.v.currentTime, rvfc: window.rvfc};
  (await whep.pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') out.framesDecoded = r.framesDecoded;
    if (r.type === 'inbound-rtp' && r.kind === 'audio') out.audioPackets = r.packetsReceived;
  });
  return out;
}"""


def open_whep(page: Any, url: str) -> int:
    """Start a WHEP session in `page`; the POST's status."""
    return int(page.evaluate(OPEN, url))


def stats(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(STATS)
    return result


def close_whep(page: Any) -> int:
    """End the session (DELETE its Location); the status."""
    js = """async () => {
      whep.pc.close();
      return (await fetch(whep.location, {method: 'DELETE'})).status;
    }"""
    return int(page.evaluate(js))
