"""Holds dpkg's locks for SECONDS, as unattended-upgrades does on a fresh host, and writes when it took
and when it let go of them (/run/bmfw-lock-taken, /run/bmfw-lock-released: seconds since the epoch).

apt and dpkg lock with fcntl, the same locks as lockf here (flock's are separate and would not stop them).
"""
import fcntl
import sys
import time

with open('/var/lib/dpkg/lock-frontend', 'w') as frontend, open('/var/lib/dpkg/lock', 'w') as backend:
    fcntl.lockf(frontend, fcntl.LOCK_EX)
    fcntl.lockf(backend, fcntl.LOCK_EX)
    with open('/run/bmfw-lock-taken', 'w') as taken:
        taken.write('%f\n' % time.time())
    time.sleep(float(sys.argv[1]))
with open('/run/bmfw-lock-released', 'w') as released:
    released.write('%f\n' % time.time())
