#!/bin/bash
# A single-node (Son of) Grid Engine for tests: sge_qmaster and sge_execd as root on this machine, no systemd.
#
#   sge.sh start <state-dir>   start (idempotent) and write <state-dir>/sge.env; exit 3: not installed
#   sge.sh stop  <state-dir>   delete all jobs, stop the daemons; always exits 0
#
# Unlike the SLURM fixture, the cell cannot live in <state-dir>: the Debian packages (gridengine-master,
# gridengine-exec, gridengine-client, installed with a debconf preseed) create it at SGE_ROOT=/var/lib/gridengine,
# cell "default", with its Berkeley DB spool in /var/spool/gridengine, and the binaries find it there. So this
# script changes that one cell (idempotently) and keeps only its scratch files and the env file in <state-dir>.
# Clients need SGE_ROOT and SGE_CELL (the env file says so with CLIENT_ENV).
#
# Cell settings (each is a gotcha found on Debian 12, SGE 8.1.9):
#  - host_aliases "<host> localhost": 127.0.0.1 resolves to "localhost" while the host calls itself <host>, which
#    otherwise gives "commlib error: access denied";
#  - global min_uid/min_gid 0: the default 1000 rejects root's jobs;
#  - schedule_interval 1 s, flush_submit_sec/flush_finish_sec 1: the default 15 s delays every job;
#  - reporting_params flush_time 1 s: qacct shows a finished job after flush_time (default 15 s);
#  - queue all.q on this host with nproc slots, load_thresholds NONE (np_load_avg would stop dispatch on a busy
#    2-core machine), pe_list smp; parallel environment smp ($pe_slots: all slots on one host).
#
# A run that died: stale pid files (or pids of zombies) are recognised; jobs a dead qmaster spooled are deleted
# (forced, if their execd died too) when this script starts the qmaster; a queue instance left disabled or in
# error is cleared. Daemons found running are left alone with their jobs (another test JVM may be using them).
# Stopping takes about 9 s: sge_qmaster's own controlled shutdown.
set -uo pipefail
export PATH=$PATH:/usr/sbin:/sbin

action=${1:-}
SD=${2:-}
if [ -z "$action" ] || [ -z "$SD" ]; then
  echo "usage: $0 start|stop <state-dir>" >&2; exit 2
fi
mkdir -p "$SD" && SD=$(cd "$SD" && pwd)

export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
C=$SGE_ROOT/$SGE_CELL/common
SPOOL=/var/spool/gridengine
QPID=$SPOOL/qmaster/qmaster.pid
H=$(hostname -s)
NSLOTS=$(nproc)

log() { echo "[sge.sh $(date +%T.%3N)] $*"; }

# running, alive, stop_pid
. "$(dirname "$0")/lib.sh"

execd_pidfiles() { echo "$SPOOL/execd/localhost/execd.pid $SPOOL/execd/$H/execd.pid"; }  # execd may name its dir "localhost"

execd_alive() {
  local f
  for f in $(execd_pidfiles); do alive "$f" sge_execd && return 0; done
  return 1
}

jobs_left() { qstat -u '*' 2>/dev/null | awk 'NR>2{print $1}'; }

delete_all() {  # delete every job (forced for ones stuck in deletion) and wait until qstat lists none
  if [ -n "$(jobs_left)" ]; then
    qdel -u '*' >/dev/null 2>&1
    for i in $(seq 150); do
      [ -z "$(jobs_left)" ] && return 0
      # a job whose execd died with it stays in deletion ("dr") until forced
      [ "$i" = 10 ] && qdel -f -u '*' >/dev/null 2>&1
      sleep 0.2
    done
    log "WARNING: jobs still listed after qdel: $(jobs_left | tr '\n' ' ')"
  fi
}

stop() {
  if alive "$QPID" sge_qmaster; then delete_all; fi
  local f
  for f in $(execd_pidfiles); do stop_pid "$f" sge_execd; done
  stop_pid "$QPID" sge_qmaster
  left=$(ps -eo pid=,comm= | awk '$2=="sge_shepherd"{print $1}')
  [ -n "$left" ] && log "WARNING: sge_shepherd still running: $left"
  return 0
}

if [ "$action" = stop ]; then
  stop
  exit 0
fi
[ "$action" = start ] || { echo "unknown action '$action'; use start or stop" >&2; exit 2; }

# ------------------------------------------------------------------------------------------------- start
for c in sge_qmaster sge_execd qsub qstat qacct qdel qconf qmod; do
  command -v $c >/dev/null || { echo "$c is not installed (apt-get install gridengine-master gridengine-exec gridengine-client, with the debconf preseed shared/gridenginemaster)" >&2; exit 3; }
done
[ -f "$C/bootstrap" ] || { echo "Grid Engine is installed but its cell is not: $C/bootstrap is missing (install the packages with the debconf preseed shared/gridengineconfig=true)" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "the test Grid Engine runs its daemons as root; run the tests as root" >&2; exit 1; }
t0=$(date +%s%3N)
W=$SD/scratch
mkdir -p "$W"

want="$H localhost"
if [ "$(cat "$C/host_aliases" 2>/dev/null)" != "$want" ]; then
  echo "$want" > "$C/host_aliases"; chown sgeadmin:sgeadmin "$C/host_aliases"
fi

fresh=no
if alive "$QPID" sge_qmaster; then
  log "sge_qmaster running (pid $(cat "$QPID"))"
else
  rm -f "$QPID"   # a stale pid file of a run that died
  /usr/sbin/sge_qmaster || { echo "sge_qmaster did not start; see $SPOOL/qmaster/messages" >&2; exit 1; }
  for _ in $(seq 150); do qstat >/dev/null 2>&1 && break; sleep 0.1; done
  fresh=yes
  log "sge_qmaster started (pid $(cat "$QPID" 2>/dev/null))"
fi
qstat >/dev/null 2>&1 || { echo "sge_qmaster does not answer; see $SPOOL/qmaster/messages" >&2; tail -5 "$SPOOL/qmaster/messages" >&2; exit 1; }

# ---- cluster configuration, each step only when needed
global_conf_ok() {
  local g; g=$(qconf -sconf global)
  ! echo "$g" | grep -qE '^min_(uid|gid) +[1-9]' && echo "$g" | grep -q 'flush_time=00:00:01'
}
if ! global_conf_ok; then
  d=$(mktemp -d "$W/conf.XXXX")
  # qconf -Mconf takes the configuration's name from the file name
  qconf -sconf global | sed -e '1d' -e 's/^min_uid .*/min_uid                      0/' \
                            -e 's/^min_gid .*/min_gid                      0/' \
                            -e 's/flush_time=[0-9:]*/flush_time=00:00:01/' > "$d/global"
  (cd "$d" && qconf -Mconf global) || exit 1
  rm -rf "$d"
fi
if ! qconf -ssconf | grep -qE '^schedule_interval +0:0:1$'; then
  qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
                      -e 's/^flush_submit_sec .*/flush_submit_sec                  1/' \
                      -e 's/^flush_finish_sec .*/flush_finish_sec                  1/' > "$W/sched.conf"
  qconf -Msconf "$W/sched.conf" || exit 1
fi
qconf -ss 2>/dev/null | grep -qx "$H" || qconf -as "$H"
qconf -shgrpl 2>/dev/null | grep -qx '@allhosts' || {
  printf 'group_name @allhosts\nhostlist %s\n' "$H" > "$W/allhosts.hgrp"; qconf -Ahgrp "$W/allhosts.hgrp" || exit 1; }
qconf -spl 2>/dev/null | grep -qx smp || {
  cat > "$W/smp.pe" <<'EOF'
pe_name            smp
slots              999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    $pe_slots
control_slaves     TRUE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
  qconf -Ap "$W/smp.pe" || exit 1; }
if ! qconf -sql 2>/dev/null | grep -qx all.q; then
  qconf -sq | sed -e 's/^qname .*/qname                 all.q/' \
                  -e 's/^hostlist .*/hostlist              @allhosts/' \
                  -e "s/^slots .*/slots                 $NSLOTS/" \
                  -e 's/^pe_list .*/pe_list               smp/' \
                  -e 's/^load_thresholds .*/load_thresholds       NONE/' > "$W/all.q"
  qconf -Aq "$W/all.q" || exit 1
fi

# ---- execd
if execd_alive; then
  log "sge_execd running"
else
  for f in $(execd_pidfiles); do rm -f "$f"; done
  /usr/sbin/sge_execd || { echo "sge_execd did not start" >&2; exit 1; }
  log "sge_execd started"
fi

# A qmaster that came up with the spool of a run that died may still hold its jobs: delete them so a test
# starts on an empty queue (a qmaster that was running already may serve another test JVM: leave it).
if [ $fresh = yes ]; then delete_all; fi

# ---- the queue instance: up, and out of an error/disabled state an earlier run may have left
# (states: u = execd has not reported yet, so wait; d = disabled, E = error: clear them)
fixed=0
for i in $(seq 150); do
  qi=$(qstat -f -q "all.q@$H" 2>/dev/null | awk -v q="all.q@$H" '$1==q')
  st=$(echo "$qi" | awk '{print $6}')
  if [ -n "$qi" ] && [ -z "$st" ]; then break; fi
  case "$st" in *d*|*E*|*D*|*C*)
    if [ $fixed = 0 ] || [ $((i - fixed)) -ge 20 ]; then
      log "queue instance all.q@$H is '$st'; clearing and enabling it"
      qmod -c "all.q@$H" >/dev/null 2>&1; qmod -e "all.q@$H" >/dev/null 2>&1
      fixed=$i
    fi ;;
  esac
  sleep 0.1
done
if [ -z "$qi" ] || [ -n "$st" ]; then
  echo "queue instance all.q@$H is not usable (state '${st:-no load report from execd}'):" >&2
  qstat -f >&2; exit 1
fi

# ---- a probe job through qsub, the scheduler, execd and qacct
probe=$(cd "$W" && qsub -terse -b y -N pilotflow-probe -o /dev/null -e /dev/null -r n /bin/true 2>&1) || {
  echo "probe qsub failed: $probe" >&2; exit 1; }
for _ in $(seq 300); do
  qacct -j "$probe" >/dev/null 2>&1 && break
  sleep 0.1
done
qacct -j "$probe" >/dev/null 2>&1 || { echo "probe job $probe did not finish within 30 s:" >&2; qstat -u '*' >&2; exit 1; }
t1=$(date +%s%3N)

cat > "$SD/sge.env.tmp" <<EOF
CLIENT_ENV=SGE_ROOT,SGE_CELL
SGE_ROOT=$SGE_ROOT
SGE_CELL=$SGE_CELL
SGE_PE=smp
SGE_QUEUE=all.q
SGE_SLOTS=$NSLOTS
SGE_HOST=$H
EOF
mv "$SD/sge.env.tmp" "$SD/sge.env"
log "ready in $((t1 - t0)) ms (probe job $probe in qacct); clients need SGE_ROOT=$SGE_ROOT SGE_CELL=$SGE_CELL"
qstat -f
exit 0
