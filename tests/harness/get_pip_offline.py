"""Offline stand-in for pip's get-pip.py, for ansible-test's venv bootstrap.

ansible-test downloads get-pip.py from a host this machine cannot reach, unless a cached copy exists
(~/.ansible/test/cache/get_pip_<version>.py); tests/harness/sanity.sh puts this file there. It
installs pip from the interpreter's bundled wheel, then runs pip with get-pip's arguments.
"""
import ensurepip
import os
import runpy
import sys

ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null, which would drop the machine's pip configuration
# (and the CA bundle that reaching the package index needs here).
os.environ.pop('PIP_CONFIG_FILE', None)
arguments = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.argv = ['pip', 'install'] + arguments
runpy.run_module('pip', run_name='__main__', alter_sys=True)
