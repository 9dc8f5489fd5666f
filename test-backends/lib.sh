# Process helpers shared by the test-backend scripts (sourced, not run). The caller defines log().

running() {  # running <pid>: a process that is not a zombie (a killed daemon can stay one until reaped)
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

alive() {  # alive <pidfile> <comm>: the pid file names a running process of that name (not a recycled pid)
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  running "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

stop_pid() {  # stop_pid <pidfile> <comm>: TERM, wait up to 10 s, then KILL; the pid file goes with the process
  local pid
  if alive "$1" "$2"; then
    pid=$(cat "$1")
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then log "$2 ($pid) ignored TERM, sending KILL"; kill -KILL "$pid" 2>/dev/null; fi
    log "stopped $2 ($pid)"
  fi
  rm -f "$1"
}
