"""The record's text: when and by which collection version it was written, and nothing else moves it."""

import json

from ansible_collections.bluemind.firewall.plugins.action.host_policy import collection_version
from ansible_collections.bluemind.firewall.plugins.module_utils import record

from conftest import ROOT

POLICY = {'schema': 2, 'backend': 'nftables', 'ports': [], 'applied': {'collection_version': '0.4.0'}}


def test_the_text_says_when_and_by_which_version():
    written = json.loads(record.text(POLICY, now=0))
    assert written['applied'] == {'collection_version': '0.4.0', 'at': '1970-01-01T00:00:00Z'}
    assert POLICY['applied'] == {'collection_version': '0.4.0'}


def test_a_record_that_differs_only_in_applied_is_the_same():
    on_host = record.text(dict(POLICY, applied={'collection_version': '0.3.9'}), now=0)
    assert record.same(on_host, POLICY)
    assert record.same(record.text(POLICY), POLICY)
    assert not record.same(on_host, dict(POLICY, backend='ufw'))
    assert not record.same(None, POLICY) and not record.same('{broken', POLICY) and not record.same('[]', POLICY)


def test_the_version_is_the_checkouts():
    with open(ROOT + '/galaxy.yml') as handle:
        expected = [line.split(':', 1)[1].strip() for line in handle if line.startswith('version:')][0]
    assert collection_version() == expected
