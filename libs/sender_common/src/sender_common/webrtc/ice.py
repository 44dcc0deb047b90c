"""ICE host candidates on the addresses and UDP ports a setting names.

aioice gathers one host candidate per address of every interface except loopback, on any
free port. A server wants the opposite: the addresses it was told to announce
(`SENDER_WEBRTC_ICE_HOSTS`, loopback included, which is all a test machine has) within a
port range a firewall can open (`SENDER_WEBRTC_UDP_PORTS`). `use_hosts` makes a peer
connection's ICE agents gather exactly that, before its answer is created.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from aioice import Candidate, Connection
from aioice.candidate import candidate_foundation, candidate_priority
from aioice.ice import StunProtocol
from aiortc import RTCPeerConnection

from sender_common.webrtc.ports import PortPool

__all__ = ["HostConnection", "PortPool", "use_hosts"]  # PortPool: from ports.py

log = logging.getLogger(__name__)
RECV_BUFFER = 1024 * 1024


class HostConnection(Connection):
    """An aioice agent whose host candidates are `hosts` on ports from `pool`."""

    hosts: tuple[str, ...] = ()
    pool: PortPool = PortPool(None)

    async def get_component_candidates(
        self, component: int, addresses: list[str], timeout: int = 5
    ) -> list[Candidate]:
        del addresses, timeout  # ours, not the interfaces'; no STUN/TURN servers
        loop = asyncio.get_running_loop()
        found: list[Candidate] = []
        for host in self.hosts:
            for port in self.pool.candidates():
                try:
                    transport, protocol = await loop.create_datagram_endpoint(
                        lambda: StunProtocol(self), local_addr=(host, port)
                    )
                except OSError:
                    continue  # taken: the next port of the range
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
                bound = transport.get_extra_info("sockname")
                protocol.local_candidate = Candidate(
                    foundation=candidate_foundation("host", "udp", bound[0]),
                    component=component,
                    transport="udp",
                    priority=candidate_priority(component, "host"),
                    host=bound[0],
                    port=bound[1],
                    type="host",
                )
                self._protocols.append(protocol)
                found.append(protocol.local_candidate)
                break
            else:
                log.warning("webrtc: no free UDP port on %s in %s", host, self.pool.ports)
        return found


def use_hosts(pc: RTCPeerConnection, hosts: list[str], pool: PortPool) -> None:
    """Make `pc`'s ICE agents gather `hosts` only (none given: aioice's own gathering)."""
    if not hosts:
        return
    for transceiver in pc.getTransceivers():
        conn = transceiver.sender.transport.transport.iceGatherer._connection
        if not isinstance(conn, HostConnection):
            conn.__class__ = HostConnection  # same state, our gathering
            assert isinstance(conn, HostConnection)
            conn.hosts = tuple(hosts)
            conn.pool = pool
