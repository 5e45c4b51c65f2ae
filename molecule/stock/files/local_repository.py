"""Makes DIRECTORY (holding .deb files) an apt repository, "deb [trusted=yes] file:DIRECTORY ./": its
Packages index, written from each package's control fields. The containers never reach Debian's archive.
"""
import glob
import hashlib
import os
import subprocess
import sys

directory = sys.argv[1]
entries = []
for path in sorted(glob.glob(os.path.join(directory, '*.deb'))):
    control = subprocess.run(['dpkg-deb', '-f', path], capture_output=True, text=True, check=True).stdout.rstrip('\n')
    with open(path, 'rb') as handle:
        data = handle.read()
    entries.append('%s\nFilename: ./%s\nSize: %d\nSHA256: %s\n' % (control, os.path.basename(path), len(data),
                                                                   hashlib.sha256(data).hexdigest()))
with open(os.path.join(directory, 'Packages'), 'w') as handle:
    handle.write('\n'.join(entries))
