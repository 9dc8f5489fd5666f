#!/bin/bash
# A single-node SLURM cluster for tests: munged, slurmctld and slurmd as root on this machine, no systemd.
#
#   slurm.sh start <state-dir>   start (idempotent) and write <state-dir>/slurm.env; exit 3: not installed
#   slurm.sh stop  <state-dir>   cancel all jobs, stop the daemons; always exits 0
#
# Everything lives under <state-dir> (munge key and socket, slurm.conf, spool, logs, pid files); /etc/slurm and
# /etc/munge are not used, so clients need SLURM_CONF (the env file says so with CLIENT_ENV). Contract: see
# delegates/src/test/java/org/pilotflow/testing/TestBackends.java.
#
# The cluster: node "$(hostname -s)" with SLURM_CPUS CPUs (default: nproc) and no oversubscription, so one job
# asking for all CPUs (sbatch --exclusive) fills it and later jobs stay PENDING (Reason=Resources) - tests
# queue a pilot behind such a job. One partition, "debug". There is no slurmdbd, so accounts are not enforced:
# any --account is accepted (a partition's AllowAccounts does not help either: without an account database
# every job in it stays PENDING with "Job's account not known").
#
# Knobs (environment): SLURM_CPUS, SLURM_PORT (slurmctld; slurmd uses +1; default 6817).
#
# A run that died: stale pid files (or pids of zombies) are recognised; a node left DOWN or DRAINED is resumed;
# jobs a dead controller saved are cancelled when this script starts the controller. Daemons found running are
# left alone with their jobs (another test JVM may be using them): the project's tests keep their jobs short.
set -uo pipefail
export PATH=$PATH:/usr/sbin:/sbin

action=${1:-}
SD=${2:-}
if [ -z "$action" ] || [ -z "$SD" ]; then
  echo "usage: $0 start|stop <state-dir>" >&2; exit 2
fi
mkdir -p "$SD" && SD=$(cd "$SD" && pwd)

M=$SD/munge
S=$SD/slurm
export SLURM_CONF=$S/etc/slurm.conf
MUNGE_SOCK=$M/run/munge.socket.2
H=$(hostname -s)
NCPU=${SLURM_CPUS:-$(nproc)}
PORT=${SLURM_PORT:-6817}

log() { echo "[slurm.sh $(date +%T.%3N)] $*"; }

# running, alive, stop_pid
. "$(dirname "$0")/lib.sh"

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
  stop_pid "$S/run/slurmd.pid" slurmd
  stop_pid "$S/run/slurmctld.pid" slurmctld
  stop_pid "$M/run/munged.pid" munged
  rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
  left=$(ps -eo pid=,comm= | awk '$2=="slurmstepd"{print $1}')
  [ -n "$left" ] && log "WARNING: slurmstepd still running: $left"
  return 0
}

if [ "$action" = stop ]; then
  stop
  exit 0
fi
[ "$action" = start ] || { echo "unknown action '$action'; use start or stop" >&2; exit 2; }

# ------------------------------------------------------------------------------------------------- start
for c in munged mungekey slurmctld slurmd sbatch squeue scontrol sacct sinfo scancel; do
  command -v $c >/dev/null || { echo "$c is not installed (apt-get install slurm-wlm slurmctld slurmd slurm-client munge)" >&2; exit 3; }
done
[ "$(id -u)" = 0 ] || { echo "the test SLURM runs its daemons as root; run the tests as root" >&2; exit 1; }
if [ ${#MUNGE_SOCK} -gt 100 ]; then
  echo "state dir too long for a unix socket path: $MUNGE_SOCK" >&2; exit 1
fi
t0=$(date +%s%3N)

mkdir -p "$M/etc" "$M/run" "$M/log" "$M/lib" "$S/etc" "$S/spool/ctld" "$S/spool/d" "$S/log" "$S/run"
chmod 700 "$M/etc" "$M/lib"; chmod 755 "$M/run"
if [ ! -s "$M/etc/munge.key" ]; then
  mungekey --create --keyfile="$M/etc/munge.key" || exit 1
fi
chmod 600 "$M/etc/munge.key"

# slurm.conf is written on every start, so it always matches this host; a running controller re-reads it.
HW=$(slurmd -C 2>/dev/null | head -1 | sed -e 's/^NodeName=[^ ]* //' -e "s/CPUs=[0-9]*/CPUs=$NCPU/")
OVERRIDE=""
if [ "$NCPU" != "$(nproc)" ]; then  # another CPU count than the hardware: no topology, let slurmd accept it
  HW="CPUs=$NCPU RealMemory=$(slurmd -C | head -1 | sed 's/.*RealMemory=\([0-9]*\).*/\1/')"
  OVERRIDE="SlurmdParameters=config_overrides"
fi
cat > "$SLURM_CONF.tmp" <<EOF
# written by test-backends/slurm.sh start $SD
ClusterName=pilotflow
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCK
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
StateSaveLocation=$S/spool/ctld
SlurmdSpoolDir=$S/spool/d
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
# no cgroups needed (containers often lack a writable cgroup tree)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# no slurmdbd: plain sacct fails; finished jobs are appended here and read with 'sacct -c'
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$S/log/jobcomp.log
MpiDefault=none
SchedulerType=sched/backfill
# the default batch_sched_delay of 3 s would add 3 s to every job
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# a node left DOWN by a run that died comes back when its slurmd registers
ReturnToService=2
# finished jobs stay in 'squeue -t all' and 'scontrol show job' for 5 minutes
MinJobAge=300
# SIGTERM -> SIGKILL on scancel and at the wall time; the default 30 s only slows tests down
KillWait=5
$OVERRIDE
NodeName=$H NodeAddr=127.0.0.1 $HW State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
mv "$SLURM_CONF.tmp" "$SLURM_CONF"

# ---- munged
if alive "$M/run/munged.pid" munged; then
  log "munged running (pid $(cat "$M/run/munged.pid"))"
else
  rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock" "$M/run/munged.pid"
  munged --key-file="$M/etc/munge.key" --socket="$MUNGE_SOCK" --pid-file="$M/run/munged.pid" \
         --log-file="$M/log/munged.log" --seed-file="$M/lib/munged.seed" || { echo "munged did not start" >&2; exit 1; }
  log "munged started (pid $(cat "$M/run/munged.pid"))"
fi
munge -S "$MUNGE_SOCK" -n | unmunge -S "$MUNGE_SOCK" >/dev/null || { echo "munge does not work" >&2; exit 1; }

# ---- slurmctld
fresh=no
if alive "$S/run/slurmctld.pid" slurmctld; then
  log "slurmctld running (pid $(cat "$S/run/slurmctld.pid")); re-reading slurm.conf"
  scontrol reconfigure || log "WARNING: scontrol reconfigure failed"
else
  rm -f "$S/run/slurmctld.pid"
  if ! slurmctld -f "$SLURM_CONF"; then
    # state saved by a run that died can be unreadable: start over without it (-c drops saved jobs)
    log "slurmctld did not start with its saved state; starting clean (-c)"
    slurmctld -c -f "$SLURM_CONF" || { echo "slurmctld did not start; see $S/log/slurmctld.log" >&2; exit 1; }
  fi
  for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.1; done
  fresh=yes
  log "slurmctld started (pid $(cat "$S/run/slurmctld.pid" 2>/dev/null))"
fi
scontrol ping >/dev/null 2>&1 || { echo "slurmctld does not answer; see $S/log/slurmctld.log" >&2; tail -5 "$S/log/slurmctld.log" >&2; exit 1; }

# ---- slurmd
if alive "$S/run/slurmd.pid" slurmd; then
  log "slurmd running (pid $(cat "$S/run/slurmd.pid"))"
else
  rm -f "$S/run/slurmd.pid"
  slurmd -f "$SLURM_CONF" || { echo "slurmd did not start; see $S/log/slurmd.log" >&2; exit 1; }
  log "slurmd started"
fi

# A controller that came up with the saved state of a run that died may still list its jobs: end them, so a
# test starts on an empty node. (A controller that was running already may serve another test JVM: leave it.)
if [ $fresh = yes ]; then cancel_all; fi

# ---- the node: usable, or bring it back from DOWN/DRAIN left by an earlier run
resumed=0
for i in $(seq 100); do
  st=$(sinfo -h -n "$H" -o %T 2>/dev/null)
  case "$st" in
    idle|mixed|allocated|completing) break ;;
    down*|drain*|fail*) if [ $((i - resumed)) -ge 20 ] || [ $resumed = 0 ]; then
        log "node $H is '$st'; resuming it"
        scontrol update NodeName="$H" State=RESUME 2>/dev/null
        resumed=$i
      fi ;;
  esac
  sleep 0.1
done
case "$st" in idle|mixed|allocated|completing) ;; *)
  echo "node $H did not become usable (state '$st'); see $S/log/slurmd.log" >&2; exit 1 ;;
esac

# ---- a probe job: the first scheduling pass comes some seconds after slurmctld starts
probe=$(sbatch --parsable -J pilotflow-probe -o /dev/null -e /dev/null --wrap true 2>&1) || {
  echo "probe sbatch failed: $probe" >&2; exit 1; }
probe=${probe%%;*}
for _ in $(seq 300); do
  ps_=$(squeue -h -t all -j "$probe" -o %T 2>/dev/null)
  case "$ps_" in COMPLETED) break ;; FAILED|CANCELLED|NODE_FAIL|TIMEOUT|BOOT_FAIL)
    echo "probe job $probe ended $ps_" >&2; exit 1 ;; esac
  sleep 0.1
done
[ "$ps_" = COMPLETED ] || { echo "probe job $probe did not complete within 30 s (state '$ps_')" >&2; exit 1; }
t1=$(date +%s%3N)

cat > "$SD/slurm.env.tmp" <<EOF
CLIENT_ENV=SLURM_CONF
SLURM_CONF=$SLURM_CONF
SLURM_PARTITION=debug
SLURM_CPUS=$NCPU
SLURM_NODE=$H
SLURM_JOBCOMP=$S/log/jobcomp.log
EOF
mv "$SD/slurm.env.tmp" "$SD/slurm.env"
log "ready in $((t1 - t0)) ms (probe job $probe COMPLETED); clients need SLURM_CONF=$SLURM_CONF"
sinfo
exit 0
