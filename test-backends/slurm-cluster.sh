#!/bin/bash
# A SLURM cluster of several compute nodes on this machine, each node its own network and UTS namespace.
#
#   slurm-cluster.sh start  <state-dir>   start (idempotent) and write <state-dir>/slurm-cluster.env; exit 3: not
#                                         installed
#   slurm-cluster.sh stop   <state-dir>   cancel all jobs, stop the daemons, remove the namespaces and links it
#                                         made; always exits 0
#   slurm-cluster.sh status <state-dir>   print what runs; exit 0 when the whole cluster does, 1 otherwise
#
# The network (nothing else of the host's is used or changed; /etc/slurm, /etc/munge, /etc/hosts, ~/.ssh stay
# untouched):
#   bridge pfcbr0          $NET.1/24 on the host: the address the engine listens on for its agents
#   namespace pfc-head     $NET.2, hostname pfhead: slurmctld
#   namespace pfc-pfnodeN  $NET.(10+N), hostname pfnodeN: slurmd -N pfnodeN and an sshd on port 22
# each namespace joined to the bridge by a veth pair (host side pfcvN, pfcv0 for the head). Names resolve in the
# namespaces through <state-dir>/hosts, bind-mounted over /etc/hosts in a mount namespace of each daemon (and so
# of the jobs, units and ssh sessions below it); the host's /etc/hosts is not changed. Processes share the host's
# file system and process table, so a pilot's sandbox under /tmp is the "shared file system" of the cluster, and a
# test sees (and can check) the pids of processes on every node.
#
# Coexists with test-backends/slurm.sh: own munged (key and socket under <state-dir>), own slurm.conf, own ports
# (slurmctld $PORT, slurmd $PORT+1, on the namespace addresses only). One such cluster per machine: the namespace,
# link and bridge names are fixed. A node cut off (its link down) is "not responding" after about 20 s and DOWN
# after SlurmdTimeout (30 s); SLURM then ends the jobs on it with NODE_FAIL unless they were submitted --no-kill.
# Link up again, slurmctld does not ping a DOWN node that stopped answering (it asks it to register about every 20th
# ping cycle, ~200 s): `scontrol update nodename=<n> state=resume` brings it back to idle within a second.
#
# slurm-cluster.env: CLIENT_ENV=SLURM_CONF; SLURM_CONF; SLURM_PARTITION; SLURM_NODES (pfnode[1-3]) and
# SLURM_NODE_NAMES (comma list); SLURM_CPUS_PER_NODE; SLURM_JOBCOMP; ENGINE_HOST (the bridge address); NODE_ADDR_<n>
# and NODE_LINK_<n> (the host side of its veth: `ip link set <it> down` cuts the node off) per node; SSH_CONFIG (an
# ssh_config for root between the nodes: key, known_hosts, BatchMode), SSH_KEY, SSH_KNOWN_HOSTS, SSH_USER.
#
# Knobs (environment): CLUSTER_NODES (3), CLUSTER_CPUS (cores per node, 2), CLUSTER_NET (10.251.12),
# CLUSTER_PORT (6837).
set -uo pipefail
export PATH=$PATH:/usr/sbin:/sbin

action=${1:-}
SD=${2:-}
if [ -z "$action" ] || [ -z "$SD" ]; then
  echo "usage: $0 start|stop|status <state-dir>" >&2; exit 2
fi
mkdir -p "$SD" && SD=$(cd "$SD" && pwd)

N=${CLUSTER_NODES:-3}
NCPU=${CLUSTER_CPUS:-2}
NET=${CLUSTER_NET:-10.251.12}
PORT=${CLUSTER_PORT:-6837}
BR=pfcbr0
HEAD=pfhead
HEAD_NS=pfc-head
HEAD_ADDR=$NET.2
M=$SD/munge
S=$SD/slurm
K=$SD/ssh
export SLURM_CONF=$S/etc/slurm.conf
MUNGE_SOCK=$M/run/munge.socket.2
SSHD=/usr/sbin/sshd        # absolute: sshd re-executes itself by the path it was started with

node() { echo "pfnode$1"; }
node_ns() { echo "pfc-pfnode$1"; }
node_addr() { echo "$NET.$((10 + $1))"; }
node_link() { echo "pfcv$1"; }

log() { echo "[slurm-cluster.sh $(date +%T.%3N)] $*"; }

# running, alive, stop_pid
. "$(dirname "$0")/lib.sh"

# in_ns <namespace> <hostname> <argv...>: runs argv in the namespace's network, in a UTS namespace of its own whose
# hostname is <hostname>, and in a mount namespace of its own where the cluster's hosts file is /etc/hosts (not
# `ip netns exec`: it remounts /sys, which hides the cgroup tree slurmd needs)
in_ns() {
  local ns=$1 host=$2; shift 2
  nsenter --net="/run/netns/$ns" -- unshare --uts --mount --propagation slave -- \
    /bin/sh -c 'mount --bind "$1" /etc/hosts && hostname "$0" && shift && exec "$@"' "$host" "$SD/hosts" "$@" 9>&-
}

jobs_left() { squeue -h -o %i 2>/dev/null; }

cancel_all() {  # cancel every job and wait until the controller lists none (up to 30 s)
  if [ -n "$(jobs_left)" ]; then
    scancel --user=root 2>/dev/null; scancel --state=PENDING 2>/dev/null
    for _ in $(seq 300); do [ -z "$(jobs_left)" ] && return 0; sleep 0.1; done
    log "WARNING: jobs still listed after scancel: $(jobs_left | tr '\n' ' ')"
  fi
}

stop() {
  if alive "$S/run/slurmctld.pid" slurmctld; then cancel_all; fi
  for i in $(seq "$N"); do
    stop_pid "$S/run/slurmd-$(node "$i").pid" slurmd
    stop_pid "$K/sshd-$(node "$i").pid" sshd
  done
  stop_pid "$S/run/slurmctld.pid" slurmctld
  stop_pid "$M/run/munged.pid" munged
  rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
  # whatever still runs in our namespaces (a unit cut off with its node, a stray slurmstepd) was started there
  # by this cluster: it goes with them
  for ns in "$HEAD_NS" $(for i in $(seq "$N"); do node_ns "$i"; done); do
    if ip netns list | grep -qw "^$ns"; then
      left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
      if [ -n "$left" ]; then log "killing what still runs in $ns: $left"; kill -KILL $left 2>/dev/null; fi
      ip netns del "$ns" && log "removed namespace $ns"
    fi
  done
  for i in 0 $(seq "$N"); do ip link del "$(node_link "$i")" 2>/dev/null; done
  ip link show "$BR" >/dev/null 2>&1 && ip link del "$BR" && log "removed bridge $BR"
  return 0
}

status() {
  local ok=0 i
  ip link show "$BR" >/dev/null 2>&1 && echo "bridge $BR: $(ip -br addr show "$BR" | awk '{print $2, $3}')" \
    || { echo "bridge $BR: missing"; ok=1; }
  alive "$M/run/munged.pid" munged && echo "munged: pid $(cat "$M/run/munged.pid")" || { echo "munged: down"; ok=1; }
  alive "$S/run/slurmctld.pid" slurmctld && echo "slurmctld: pid $(cat "$S/run/slurmctld.pid") on $HEAD_ADDR:$PORT" \
    || { echo "slurmctld: down"; ok=1; }
  for i in $(seq "$N"); do
    local n; n=$(node "$i")
    alive "$S/run/slurmd-$n.pid" slurmd && echo "slurmd $n: pid $(cat "$S/run/slurmd-$n.pid") on $(node_addr "$i")" \
      || { echo "slurmd $n: down"; ok=1; }
    alive "$K/sshd-$n.pid" sshd && echo "sshd $n: pid $(cat "$K/sshd-$n.pid")" || { echo "sshd $n: down"; ok=1; }
  done
  [ $ok = 0 ] && sinfo 2>/dev/null
  return $ok
}

mkdir -p "$SD"
# Test JVMs of several modules may start or stop the cluster at the same moment: one at a time. (The daemons
# are started with fd 9 closed, or they would hold the lock.)
exec 9>"$SD/.lock"
if ! flock -w 120 9; then
  log "another slurm-cluster.sh holds $SD/.lock for 120 s"
  [ "$action" = stop ] && exit 0
  exit 1
fi

case "$action" in
  stop) stop; exit 0 ;;
  status) status; exit $? ;;
  start) ;;
  *) echo "unknown action '$action'; use start, stop or status" >&2; exit 2 ;;
esac

# ------------------------------------------------------------------------------------------------- start
for c in munged mungekey slurmctld slurmd sbatch srun squeue scontrol sinfo scancel ip unshare ssh ssh-keygen; do
  command -v $c >/dev/null || { echo "$c is not installed (apt-get install slurm-wlm slurmctld slurmd slurm-client munge iproute2 util-linux openssh-server openssh-client)" >&2; exit 3; }
done
[ -x "$SSHD" ] || { echo "$SSHD is not installed (apt-get install openssh-server)" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "the test cluster makes network namespaces and runs its daemons as root" >&2; exit 1; }
ip netns list >/dev/null 2>&1 || { echo "'ip netns' does not work here (no CAP_SYS_ADMIN?)" >&2; exit 1; }
if [ ${#MUNGE_SOCK} -gt 100 ]; then
  echo "state dir too long for a unix socket path: $MUNGE_SOCK" >&2; exit 1
fi
t0=$(date +%s%3N)

# ---- network: bridge, namespaces, veths, hosts files
ensure_ns() {  # ensure_ns <namespace> <veth host side> <address> <hostname>
  local ns=$1 link=$2 addr=$3
  ip netns list | grep -qw "^$ns" || { ip netns add "$ns" || return 1; log "made namespace $ns"; }
  if ! ip link show "$link" >/dev/null 2>&1; then
    ip link add "$link" type veth peer name "${link}p" || return 1
    ip link set "${link}p" netns "$ns" || return 1
    ip -n "$ns" link set "${link}p" name eth0 || return 1
    ip link set "$link" master "$BR" || return 1
  fi
  ip link set "$link" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" addr replace "$addr/24" dev eth0
  # the engine and clients on the host are reached through the bridge address
  ip -n "$ns" route replace default via "$NET.1" dev eth0
}

if ! ip link show "$BR" >/dev/null 2>&1; then
  ip link add "$BR" type bridge || { echo "cannot create bridge $BR" >&2; exit 1; }
  log "made bridge $BR"
fi
ip addr replace "$NET.1/24" dev "$BR"
ip link set "$BR" up
{
  echo "127.0.0.1 localhost"
  echo "$NET.1 pfhost"
  echo "$HEAD_ADDR $HEAD"
  for i in $(seq "$N"); do echo "$(node_addr "$i") $(node "$i")"; done
} > "$SD/hosts"
ensure_ns "$HEAD_NS" "$(node_link 0)" "$HEAD_ADDR" || { echo "cannot set up namespace $HEAD_NS" >&2; stop; exit 1; }
for i in $(seq "$N"); do
  ensure_ns "$(node_ns "$i")" "$(node_link "$i")" "$(node_addr "$i")" \
    || { echo "cannot set up namespace $(node_ns "$i")" >&2; stop; exit 1; }
done
# ---- munge
mkdir -p "$M/etc" "$M/run" "$M/log" "$M/lib" "$S/etc" "$S/spool/ctld" "$S/log" "$S/run" "$K"
chmod 700 "$M/etc" "$M/lib" "$K"; chmod 755 "$M/run"
[ -s "$M/etc/munge.key" ] || mungekey --create --keyfile="$M/etc/munge.key" || exit 1
chmod 600 "$M/etc/munge.key"
if alive "$M/run/munged.pid" munged; then
  log "munged running (pid $(cat "$M/run/munged.pid"))"
else
  rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock" "$M/run/munged.pid"
  munged --key-file="$M/etc/munge.key" --socket="$MUNGE_SOCK" --pid-file="$M/run/munged.pid" \
         --log-file="$M/log/munged.log" --seed-file="$M/lib/munged.seed" 9>&- || { echo "munged did not start" >&2; exit 1; }
  log "munged started (pid $(cat "$M/run/munged.pid"))"
fi
munge -S "$MUNGE_SOCK" -n | unmunge -S "$MUNGE_SOCK" >/dev/null || { echo "munge does not work" >&2; exit 1; }

# ---- slurm.conf (written on every start; a running controller re-reads it)
NODES="pfnode[1-$N]"
cat > "$SLURM_CONF.tmp" <<EOF
# written by test-backends/slurm-cluster.sh start $SD
ClusterName=pfcluster
SlurmctldHost=$HEAD($HEAD_ADDR)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCK
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
StateSaveLocation=$S/spool/ctld
SlurmdSpoolDir=$S/spool/%n
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd-%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$S/log/jobcomp.log
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=300
KillWait=5
# a node whose slurmd went silent is DOWN after this long (the node-failure tests cut one off)
SlurmdTimeout=30
# every node has the same (virtual) size whatever this machine's hardware
SlurmdParameters=config_overrides
EOF
for i in $(seq "$N"); do
  echo "NodeName=$(node "$i") NodeAddr=$(node_addr "$i") NodeHostname=$(node "$i") CPUs=$NCPU RealMemory=1024 State=UNKNOWN" >> "$SLURM_CONF.tmp"
done
echo "PartitionName=cluster Nodes=$NODES Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO" >> "$SLURM_CONF.tmp"
mv "$SLURM_CONF.tmp" "$SLURM_CONF"

# ---- slurmctld in the head namespace
fresh=no
if alive "$S/run/slurmctld.pid" slurmctld; then
  log "slurmctld running (pid $(cat "$S/run/slurmctld.pid")); re-reading slurm.conf"
  scontrol reconfigure || log "WARNING: scontrol reconfigure failed"
else
  rm -f "$S/run/slurmctld.pid"
  if ! in_ns "$HEAD_NS" "$HEAD" slurmctld -f "$SLURM_CONF"; then
    log "slurmctld did not start with its saved state; starting clean (-c)"
    in_ns "$HEAD_NS" "$HEAD" slurmctld -c -f "$SLURM_CONF" \
      || { echo "slurmctld did not start; see $S/log/slurmctld.log" >&2; exit 1; }
  fi
  for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.1; done
  fresh=yes
  log "slurmctld started (pid $(cat "$S/run/slurmctld.pid" 2>/dev/null)) on $HEAD_ADDR:$PORT"
fi
scontrol ping >/dev/null 2>&1 || { echo "slurmctld does not answer; see $S/log/slurmctld.log" >&2; tail -5 "$S/log/slurmctld.log" >&2; exit 1; }

# ---- ssh: one key for root between the nodes, one host key for all of them
[ -f "$K/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C pilotflow-cluster-client -f "$K/id_ed25519"
[ -f "$K/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C pilotflow-cluster-host -f "$K/ssh_host_ed25519_key"
cp "$K/id_ed25519.pub" "$K/authorized_keys"
chmod 600 "$K/id_ed25519" "$K/ssh_host_ed25519_key" "$K/authorized_keys"
: > "$K/known_hosts"
for i in $(seq "$N"); do
  echo "$(node "$i"),$(node_addr "$i") $(cut -d' ' -f1,2 "$K/ssh_host_ed25519_key.pub")" >> "$K/known_hosts"
done
cat > "$K/ssh_config" <<EOF
# written by test-backends/slurm-cluster.sh: root between the nodes of the test cluster
Host *
  User root
  Port 22
  IdentityFile $K/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $K/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
EOF
sftp=internal-sftp
[ -x /usr/lib/openssh/sftp-server ] && sftp=/usr/lib/openssh/sftp-server
[ -d /run/sshd ] || install -d -m 755 /run/sshd

# ---- per node: slurmd and sshd in the node's namespaces
for i in $(seq "$N"); do
  n=$(node "$i"); ns=$(node_ns "$i"); addr=$(node_addr "$i")
  mkdir -p "$S/spool/$n"
  if alive "$S/run/slurmd-$n.pid" slurmd; then
    log "slurmd $n running (pid $(cat "$S/run/slurmd-$n.pid"))"
  else
    rm -f "$S/run/slurmd-$n.pid"
    in_ns "$ns" "$n" slurmd -N "$n" -f "$SLURM_CONF" || { echo "slurmd $n did not start; see $S/log/slurmd-$n.log" >&2; exit 1; }
    log "slurmd $n started on $addr"
  fi
  cat > "$K/sshd_config-$n" <<EOF
# written by test-backends/slurm-cluster.sh: node $n of the test cluster
Port 22
ListenAddress $addr
HostKey $K/ssh_host_ed25519_key
PidFile $K/sshd-$n.pid
AuthorizedKeysFile $K/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
PrintMotd no
UseDNS no
MaxSessions 50
Subsystem sftp $sftp
LogLevel VERBOSE
EOF
  if alive "$K/sshd-$n.pid" sshd; then
    pid=$(cat "$K/sshd-$n.pid")
    kill -HUP "$pid"   # sshd re-executes itself with the new config; the pid stays
    log "sshd $n running (pid $pid); reloaded its config"
  else
    rm -f "$K/sshd-$n.pid"
    "$SSHD" -t -f "$K/sshd_config-$n" || exit 1
    in_ns "$ns" "$n" "$SSHD" -f "$K/sshd_config-$n" -E "$K/sshd-$n.log" || { echo "sshd $n did not start" >&2; exit 1; }
    log "sshd $n started on $addr:22"
  fi
done

if [ $fresh = yes ]; then cancel_all; fi

# ---- every node usable (bring back one left DOWN/DRAIN by an earlier run)
for i in $(seq "$N"); do
  n=$(node "$i"); resumed=0
  for k in $(seq 150); do
    st=$(sinfo -h -n "$n" -o %T 2>/dev/null)
    case "$st" in
      idle|mixed|allocated|completing) break ;;
      down*|drain*|fail*) if [ $resumed = 0 ] || [ $((k - resumed)) -ge 20 ]; then
          log "node $n is '$st'; resuming it"; scontrol update NodeName="$n" State=RESUME 2>/dev/null; resumed=$k
        fi ;;
    esac
    sleep 0.1
  done
  case "$st" in idle|mixed|allocated|completing) ;; *)
    echo "node $n did not become usable (state '$st'); see $S/log/slurmd-$n.log" >&2; exit 1 ;;
  esac
done

# ---- ssh between nodes works (from the first node to the last, as the launch methods will use it)
in_ns "$(node_ns 1)" "$(node 1)" ssh -F "$K/ssh_config" "$(node "$N")" hostname > "$SD/ssh-probe.out" 2>&1 \
  && [ "$(cat "$SD/ssh-probe.out")" = "$(node "$N")" ] \
  || { echo "ssh from $(node 1) to $(node "$N") failed: $(cat "$SD/ssh-probe.out")" >&2; exit 1; }

# ---- a probe job over all nodes: one srun task per node, each must print its own hostname
probe=$(sbatch --parsable -J pilotflow-probe -N "$N" --ntasks-per-node=1 -o "$SD/probe.out" -e "$SD/probe.out" \
        --wrap "srun hostname" 2>&1) || { echo "probe sbatch failed: $probe" >&2; exit 1; }
probe=${probe%%;*}
for _ in $(seq 600); do
  ps_=$(squeue -h -t all -j "$probe" -o %T 2>/dev/null)
  case "$ps_" in COMPLETED) break ;; FAILED|CANCELLED|NODE_FAIL|TIMEOUT|BOOT_FAIL)
    echo "probe job $probe ended $ps_: $(cat "$SD/probe.out" 2>/dev/null)" >&2; exit 1 ;; esac
  sleep 0.1
done
[ "$ps_" = COMPLETED ] || { echo "probe job $probe did not complete within 60 s (state '$ps_')" >&2; exit 1; }
want=$(for i in $(seq "$N"); do node "$i"; done | sort | tr '\n' ' ')
got=$(sort "$SD/probe.out" | tr '\n' ' ')
[ "$got" = "$want" ] || { echo "probe job's tasks printed '$got', expected '$want'" >&2; exit 1; }
t1=$(date +%s%3N)

{
  echo "CLIENT_ENV=SLURM_CONF"
  echo "SLURM_CONF=$SLURM_CONF"
  echo "SLURM_PARTITION=cluster"
  echo "SLURM_NODES=$NODES"
  echo "SLURM_NODE_NAMES=$(for i in $(seq "$N"); do node "$i"; done | paste -sd,)"
  echo "SLURM_CPUS_PER_NODE=$NCPU"
  echo "SLURM_JOBCOMP=$S/log/jobcomp.log"
  echo "ENGINE_HOST=$NET.1"
  for i in $(seq "$N"); do
    echo "NODE_ADDR_$(node "$i")=$(node_addr "$i")"
    echo "NODE_LINK_$(node "$i")=$(node_link "$i")"
  done
  echo "SSH_CONFIG=$K/ssh_config"
  echo "SSH_KEY=$K/id_ed25519"
  echo "SSH_KNOWN_HOSTS=$K/known_hosts"
  echo "SSH_USER=root"
} > "$SD/slurm-cluster.env.tmp"
mv "$SD/slurm-cluster.env.tmp" "$SD/slurm-cluster.env"
log "ready in $((t1 - t0)) ms (probe job $probe ran on $got); clients need SLURM_CONF=$SLURM_CONF"
sinfo
exit 0
