"""WebRTC (WHEP) settings, mixed into the settings of the roles that serve viewers."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, Field, field_validator

from sender_common.settings import CommaList

__all__ = ["WebrtcSettings", "parse_port_range"]


def parse_port_range(text: str) -> tuple[int, int] | None:
    """`LOW-HIGH` (inclusive) as a pair, or None for any free port."""
    text = text.strip()
    if not text:
        return None
    low, sep, high = text.partition("-")
    try:
        pair = (int(low), int(high if sep else low))
    except ValueError as exc:
        raise ValueError("SENDER_WEBRTC_UDP_PORTS: must be LOW-HIGH, e.g. 40000-40999") from exc
    if not 1 <= pair[0] <= pair[1] <= 65535:
        raise ValueError("SENDER_WEBRTC_UDP_PORTS: ports must rise within 1-65535")
    return pair


class WebrtcSettings(BaseModel):
    """WHEP playback (`sender_common.webrtc`) on an origin or an edge."""

    webrtc_enabled: bool = True
    webrtc_max_sessions: int = Field(default=500, ge=1)
    webrtc_max_per_client: int = Field(default=10, ge=1)
    # addresses bound for ICE and announced as host candidates; empty: SENDER_HOST when it is
    # one address, every interface's when it is a wildcard
    webrtc_ice_hosts: CommaList = Field(default_factory=list)
    webrtc_udp_ports: str = ""  # LOW-HIGH; empty: any free port
    # a session whose ICE/DTLS has not connected this long after its offer is ended
    webrtc_connect_timeout: float = Field(default=15.0, gt=0)

    @field_validator("webrtc_ice_hosts")
    @classmethod
    def _check_hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            try:
                ipaddress.ip_address(host)
            except ValueError as exc:
                raise ValueError(f"SENDER_WEBRTC_ICE_HOSTS: {host!r} is not an IP") from exc
        return value

    @field_validator("webrtc_udp_ports")
    @classmethod
    def _check_ports(cls, value: str) -> str:
        parse_port_range(value)
        return value

    def ice_hosts(self, bind_host: str) -> list[str]:
        """The addresses ICE binds: the setting, else the role's own bind address; empty means
        every interface (a wildcard bind)."""
        if self.webrtc_ice_hosts:
            return list(self.webrtc_ice_hosts)
        if bind_host in ("0.0.0.0", "::", ""):
            return []
        try:
            ipaddress.ip_address(bind_host)
        except ValueError:
            return ["127.0.0.1"] if bind_host == "localhost" else []
        return [bind_host]
