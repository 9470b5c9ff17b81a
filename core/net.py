"""The machine's own addresses, for serving a camp on all interfaces (a laptop on a hotspot)."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import sys

_SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address (netdevice(7))


def _interface_addresses() -> set[str]:
    found: set[str] = set()
    if not sys.platform.startswith("linux"):
        return found
    import fcntl

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            with contextlib.suppress(OSError):
                packed = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
                found.add(socket.inet_ntoa(packed[20:24]))
    return found


def _resolved_addresses(hostname: str) -> set[str]:
    with contextlib.suppress(OSError):
        return {str(info[4][0]) for info in socket.getaddrinfo(hostname, None)}
    return set()


def own_addresses() -> list[str]:
    """Host names a phone may use to reach this machine: its name and its non-loopback addresses."""
    hostname = socket.gethostname()
    addresses = _interface_addresses() | _resolved_addresses(hostname)
    usable = sorted(a.split("%")[0] for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback)
    names = [hostname, f"{hostname}.local"] if hostname else []
    return names + [f"[{a}]" if ":" in a else a for a in usable]
