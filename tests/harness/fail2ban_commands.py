"""Prints the shell commands of a fail2ban action, its start then one ban per address, rendered by
fail2ban's own action reader (from an unpacked package on PYTHONPATH), so that the fixtures hold
what fail2ban really runs.

usage: fail2ban_commands.py CONFIG_DIR ACTION JAIL PORTS FAMILY(inet4|inet6) ADDRESS...
"""
import sys

from fail2ban.client.actionreader import ActionReader
from fail2ban.server.action import CommandAction


def main(basedir, action, jail, ports, family, *addresses):
    reader = ActionReader(action, jail, {'port': ports, 'protocol': 'tcp'}, basedir=basedir)
    if not reader.read():
        raise SystemExit('cannot read action %s in %s' % (action, basedir))
    reader.getOptions({})
    properties = {}
    for item in reader.convert():
        if item[0] == 'multi-set':
            properties.update(dict(item[4]))
    condition = 'family=' + family

    def render(tag, info=None):
        text = CommandAction.replaceTag(properties[tag], properties, conditional=condition)
        return CommandAction.replaceDynamicTags(text, info) if info else text

    print(render('actionstart'))
    for address in addresses:
        print(render('actionban', {'ip': address}))


if __name__ == '__main__':
    main(*sys.argv[1:])
