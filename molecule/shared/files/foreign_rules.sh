#!/bin/sh
# Other software's firewall rules, as that software writes them, for coexistence tests.
#   foreign_rules.sh docker              Docker's bridge and one published port (8080 -> 172.17.0.2:80)
#   foreign_rules.sh fail2ban            a fail2ban-like nftables table banning 198.51.100.23 from SSH
#   foreign_rules.sh bm-iptables PEER..  bm-iptables' shape: INPUT jumps to bmhosts, which accepts
#                                        loopback and each BlueMind host (IPv4) and sends every NEW
#                                        packet to bmports, which drops BlueMind's internal ports
#                                        (ip6tables: no per-host accepts)
#   foreign_rules.sh snapshot            those rules as listed by iptables-save/nft, without counters
set -eu
case "$1" in
docker)
  iptables -N DOCKER
  iptables -N DOCKER-ISOLATION-STAGE-1
  iptables -N DOCKER-ISOLATION-STAGE-2
  iptables -N DOCKER-USER
  iptables -t nat -N DOCKER
  iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
  iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
  iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
  iptables -t nat -A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
  iptables -t nat -A DOCKER -i docker0 -j RETURN
  iptables -t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
  iptables -A FORWARD -j DOCKER-USER
  iptables -A FORWARD -j DOCKER-ISOLATION-STAGE-1
  iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  iptables -A FORWARD -o docker0 -j DOCKER
  iptables -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
  iptables -A FORWARD -i docker0 -o docker0 -j ACCEPT
  iptables -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
  iptables -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
  iptables -A DOCKER-ISOLATION-STAGE-1 -j RETURN
  iptables -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
  iptables -A DOCKER-ISOLATION-STAGE-2 -j RETURN
  iptables -A DOCKER-USER -j RETURN
  ;;
fail2ban)
  nft -f - <<'RULES'
table inet f2b-table {
	set addr-set-sshd {
		type ipv4_addr
		elements = { 198.51.100.23 }
	}
	chain f2b-chain {
		type filter hook input priority filter - 1; policy accept;
		tcp dport 22 ip saddr @addr-set-sshd reject with icmp port-unreachable
	}
}
RULES
  ;;
bm-iptables)
  shift
  for tool in iptables ip6tables; do
    $tool -N bmhosts
    $tool -N bmports
    $tool -I INPUT 1 -j bmhosts
    $tool -A bmhosts -i lo -j ACCEPT
  done
  for peer in "$@"; do iptables -A bmhosts -s "$peer/32" -j ACCEPT; done
  for tool in iptables ip6tables; do
    $tool -A bmhosts -m state --state NEW -j bmports
    # multiport takes 15 ports at most
    for ports in 24,1110,1143,2000,2400,2500,2501,2502,5001,5280,5290,5432 \
                 8021,8022,8079,8080,8082,8084,8086,8087,8090,8091,9200,9300,5701:5715; do
      $tool -A bmports -p tcp -m multiport --dports "$ports" -j DROP
      $tool -A bmports -p udp -m multiport --dports "$ports" -j DROP
    done
  done
  ;;
snapshot)
  echo '# iptables nat'
  iptables-save -t nat | grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//'
  for tool in iptables ip6tables; do
    echo "# $tool filter: Docker's and bm-iptables' chains and the rules that jump to them"
    $tool-save -t filter | grep -E 'DOCKER|bmhosts|bmports' | sed 's/ \[[0-9]*:[0-9]*\]$//'
  done
  echo '# nft f2b-table'
  nft -s list table inet f2b-table 2>&1 || true
  ;;
*)
  echo "usage: $0 docker|fail2ban|bm-iptables PEER...|snapshot" >&2
  exit 2
  ;;
esac
