"""A worker process dies with the process that forked it.

gunicorn's workers notice a dead master only between requests, by polling `os.getppid()`, and
then wait out `--graceful-timeout` for the requests they hold; meanwhile they keep the listening
socket, so a master killed with -9 leaves workers that serve on and a restart that fails with
"Address already in use". Linux's `prctl(PR_SET_PDEATHSIG)` (man 2 prctl) has the kernel send
the worker a signal the moment its parent dies: SIGKILL, so the socket is closed at once and a
request in flight ends with its transaction rolled back (the client sees the connection drop,
never a success that was not written).

Called from gunicorn's post_fork hook (clinic/gunicorn_conf.py). Elsewhere than Linux it does
nothing and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel for `sig` when the parent dies; exit now if `parent` is already gone.

    Returns whether the kernel took the request (False off Linux).
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died between fork() and prctl(): no signal would come, so leave now.
    if os.getppid() != parent:
        os._exit(1)
    return True
