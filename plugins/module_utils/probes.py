# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TCP connection probes, run concurrently from the host the module runs on.

open: the handshake completed. refused: a RST came back (nothing listens, or a firewall rejected
with a reset). filtered: no answer within the timeout, or an ICMP error (a firewall dropped or
rejected it). The collection's rules drop, so filtered is what its closed ports look like.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import socket
from concurrent.futures import ThreadPoolExecutor

OPEN = 'open'
REFUSED = 'refused'
FILTERED = 'filtered'
# ICMP unreachable answers (a reject with icmp-admin-prohibited or port-unreachable shows as these).
_UNREACHABLE = (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM)


def probe(address, port, timeout):
    """(state, detail) of one TCP connection attempt."""
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    connection = socket.socket(family, socket.SOCK_STREAM)
    connection.settimeout(timeout)
    try:
        connection.connect((address, port))
        return OPEN, ''
    except socket.timeout:
        return FILTERED, 'no answer in %.1f s' % timeout
    except OSError as error:
        if error.errno == errno.ECONNREFUSED:
            return REFUSED, ''
        if error.errno in _UNREACHABLE:
            return FILTERED, error.strerror or str(error)
        return FILTERED, str(error)
    finally:
        connection.close()


def source_address(address):
    """The local address this host sends from to reach the address (no packet is sent)."""
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    sender = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sender.connect((address, 9))
        return sender.getsockname()[0]
    finally:
        sender.close()


def probe_all(attempts, timeout, workers):
    """States of [(address, port)], in the same order, probed by up to `workers` threads at once."""
    if not attempts:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(attempts)))) as pool:
        return list(pool.map(lambda attempt: probe(attempt[0], attempt[1], timeout), attempts))
