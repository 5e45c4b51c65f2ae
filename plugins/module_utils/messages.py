# -*- coding: utf-8 -*-
# Copyright: (c) 2026, bluemind.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the collection's refusals name hosts: the checks of an installation (its partition, its server
roles) and verification's reports say them the same way."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def listing(items, limit):
    """Items joined with commas, the first limit of them and a count of the rest."""
    if len(items) <= limit:
        return ', '.join(items)
    return '%s and %d more' % (', '.join(items[:limit]), len(items) - limit)


def host_names(hosts):
    """Host names, sorted; a message names ten of them at most."""
    return listing(sorted(hosts), 10)


def add_error(errors, host, message):
    """One message per host in {host: message}: a host with several problems gets them all."""
    errors[host] = (errors[host] + ' ' + message) if host in errors else message
