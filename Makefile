# Entry points for a newcomer on a Debian 12 root machine; each installs what it needs first.
SHELL := /bin/bash
ROOT := $(CURDIR)
export CONTAINERS_CONF := $(ROOT)/tests/harness/containers.conf
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.cache/collections
export PATH := $(ROOT)/.venv/bin:$(PATH)
MOLECULE_SCENARIOS := cluster cluster-ufw ufw_handmade found_hosts single-bookworm single-bullseye \
	safe_change safe_change-ufw rollback_ssh rollback_ssh-ufw

.PHONY: bootstrap demo demo-clean test unit unit-2.14 converge-2.14 lint sanity molecule benchmark benchmark-ufw docs build

bootstrap:
	@tests/harness/bootstrap.sh

demo: bootstrap
	@demo/run.sh

test: bootstrap unit unit-2.14 lint sanity molecule converge-2.14
	@echo "make test: all passed"

unit:
	pytest -q tests/unit

# The same unit tests on Debian 12's own ansible-core, 2.14 (the venv is made by make bootstrap).
unit-2.14:
	.cache/venv-ansible-2.14/bin/python -m pytest -q -p no:cacheprovider tests/unit

# The site and verify playbooks run by ansible-core 2.14 on the demo's containers.
converge-2.14:
	@tests/harness/converge_ansible_2_14.sh

lint:
	ansible-lint

sanity:
	@tests/harness/sanity.sh

molecule: $(addprefix molecule-,$(MOLECULE_SCENARIOS))

.PHONY: $(addprefix molecule-,$(MOLECULE_SCENARIOS))
molecule-cluster:
	molecule test -s cluster

# The same scenario, probes and expectations, with the ufw backend.
molecule-cluster-ufw:
	BLUEMIND_FIREWALL_BACKEND=ufw molecule test -s cluster

molecule-ufw_handmade:
	molecule test -s ufw_handmade

# Hosts as they are found: ufw on with "default allow", keepalived's VRRP, a second network,
# DHCPv6, drop logs, refused input, bm-iptables beside each backend. Both backends in one bed.
molecule-found_hosts:
	molecule test -s found_hosts

# Other software's rules, a failing apply, reboot and removal; then a real SSH connection cut by a
# forced policy, rolled back by the host. Each for both backends.
molecule-safe_change molecule-rollback_ssh: molecule-%:
	BLUEMIND_FIREWALL_BACKEND=nftables molecule test -s $*

molecule-safe_change-ufw molecule-rollback_ssh-ufw: molecule-%-ufw:
	BLUEMIND_FIREWALL_BACKEND=ufw molecule test -s $*

molecule-single-bookworm molecule-single-bullseye: molecule-single-%:
	MOLECULE_DISTRO=$* molecule test -s single

benchmark: bootstrap
	python3 benchmarks/converge_speed.py

benchmark-ufw: bootstrap
	python3 benchmarks/ufw_speed.py

docs:
	python3 tests/harness/readme_tables.py --write README.md

build:
	ansible-galaxy collection build --force --output-path build

demo-clean:
	@demo/testbed.sh down
