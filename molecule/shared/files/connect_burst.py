"""Opens COUNT TCP connections to ADDRESS PORT one after the other from SOURCE, each given TIMEOUT
seconds to complete, and prints how each ended as a JSON list: open, refused or filtered.

usage: python3 connect_burst.py SOURCE ADDRESS PORT COUNT TIMEOUT
"""
import json
import socket
import sys

source, address, port, count, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
verdicts = []
for dummy in range(count):
    sock = socket.socket(socket.AF_INET6 if ':' in address else socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((source, 0))
    try:
        sock.connect((address, port))
        verdicts.append('open')
    except ConnectionRefusedError:
        verdicts.append('refused')
    except OSError:
        verdicts.append('filtered')
    finally:
        sock.close()
json.dump(verdicts, sys.stdout)
