# Entry points for a newcomer on a Debian 12 root machine; each installs what it needs first.
SHELL := /bin/bash
ROOT := $(CURDIR)
export CONTAINERS_CONF := $(ROOT)/tests/harness/containers.conf
export ANSIBLE_COLLECTIONS_PATH := $(ROOT)/.cache/collections
export PATH := $(ROOT)/.venv/bin:$(PATH)
MOLECULE_SCENARIOS := cluster cluster-ufw roles roles-ufw ufw_handmade found_hosts single-bookworm single-bullseye \
	single-trixie safe_change safe_change-ufw rollback_ssh rollback_ssh-ufw stock stock-ufw \
	protections protections-ufw

.PHONY: bootstrap venv demo demo-clean rehearse test unit oracle oracle-report core-matrix converge-oldest publish-checks lint sanity \
	molecule rehearsals benchmark benchmark-ufw docs build

bootstrap:
	@tests/harness/bootstrap.sh

demo: bootstrap
	@demo/run.sh

# Your own inventory rehearsed in containers, its hosts never contacted: make rehearse INVENTORY=inventory.yml
# (ARGS="-e bluemind_firewall_play_group=GROUP" for another group than bluemind).
rehearse: bootstrap
	@test -n "$(INVENTORY)" || { echo "make rehearse INVENTORY=path/to/your/inventory.yml" >&2; exit 2; }
	ansible-playbook -i "$(INVENTORY)" bluemind.firewall.rehearse $(ARGS)

# Two lanes side by side (the scenarios of each lane share no container, network or molecule state with
# the other's: both runs of one scenario, such as protections and protections-ufw, stay in one lane):
# the checks with the rehearsals and the oldest-core converge, and the molecule scenarios.
LANE_CHECKS := unit oracle lint sanity publish-checks core-matrix rehearsals converge-oldest \
	molecule-single-bookworm molecule-single-bullseye molecule-single-trixie molecule-ufw_handmade molecule-stock molecule-stock-ufw \
	molecule-roles molecule-roles-ufw
LANE_SCENARIOS := $(filter-out $(LANE_CHECKS),$(addprefix molecule-,$(MOLECULE_SCENARIOS)))

# Each lane's timings are printed again at the end: a failure in one lane is then the last thing the
# log shows, not buried under the other lane's output.
test: bootstrap
	@rm -f .cache/lanes/*.times
	@$(MAKE) --no-print-directory -j2 test-lane-checks test-lane-scenarios; rc=$$?; \
	  cat .cache/lanes/*.times 2>/dev/null; \
	  if [ $$rc -eq 0 ]; then echo "make test: all passed"; else echo "make test: FAILED" >&2; fi; exit $$rc

.PHONY: test-lane-checks test-lane-scenarios
test-lane-checks:
	@tests/harness/lane.sh checks $(LANE_CHECKS)

test-lane-scenarios:
	@tests/harness/lane.sh scenarios $(LANE_SCENARIOS)

# The README's example inventories rehearsed as a user would (the playbook, and the molecule scenario
# a user copies into their repository).
rehearsals:
	pytest -q tests/rehearsal

# Only the Python venv (what make build and make docs need), not the container images.
venv:
	@BOOTSTRAP_VENV_ONLY=1 tests/harness/bootstrap.sh

unit:
	pytest -q tests/unit

# The engine against a real kernel (tests/oracle): rulesets loaded in throwaway network namespaces, real
# first packets sent, the kernel's decision compared with the engine's. Root; skipped without netns.
oracle:
	pytest -q tests/oracle

# Every cell of the oracle's cases with the kernel's and the engine's verdict (CASES="name ... random").
oracle-report:
	python tests/oracle/report.py $(CASES)

# The unit tests and ansible-test sanity on every other ansible-core of tests/ansible-core-versions.txt
# (those needing Python 3.12+ in a Debian 13 container). VERSIONS="2.16 2.20" for some of them.
core-matrix:
	@tests/harness/core_matrix.sh $(VERSIONS)

# The site and verify playbooks run by the oldest ansible-core the collection accepts, on the demo's containers.
converge-oldest:
	@tests/harness/converge_oldest_core.sh

# galaxy-importer on the built archive (no error, no warning) and antsibull-docs' documentation lint.
publish-checks:
	@tests/harness/publish_checks.sh

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

molecule-roles:
	molecule test -s roles

molecule-roles-ufw:
	BLUEMIND_FIREWALL_BACKEND=ufw molecule test -s roles

# Two BlueMind 5 servers as its installer leaves them (bm-iptables, fail2ban banning, the package lock
# held, nftables to install), run with the README's quick-start cluster inventory unchanged.
molecule-stock:
	BLUEMIND_FIREWALL_BACKEND=nftables molecule test -s stock

molecule-stock-ufw:
	BLUEMIND_FIREWALL_BACKEND=ufw molecule test -s stock

molecule-ufw_handmade:
	molecule test -s ufw_handmade

# A mail server's protections with real traffic: a limited port's bans (per address, per /64), a peer
# never limited, a converge during a ban, a private port.
molecule-protections:
	BLUEMIND_FIREWALL_BACKEND=nftables molecule test -s protections

molecule-protections-ufw:
	BLUEMIND_FIREWALL_BACKEND=ufw molecule test -s protections

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

molecule-single-bookworm molecule-single-bullseye molecule-single-trixie: molecule-single-%:
	MOLECULE_DISTRO=$* molecule test -s single

benchmark: bootstrap
	python3 benchmarks/converge_speed.py

benchmark-ufw: bootstrap
	python3 benchmarks/ufw_speed.py

docs: venv
	python3 tests/harness/readme_tables.py --write README.md

build: venv
	ansible-galaxy collection build --force --output-path build

demo-clean:
	@demo/testbed.sh down
