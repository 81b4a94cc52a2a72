#!/usr/bin/env bash
# A real multi-node Slurm cluster on this one machine, for the tests.
#
#   cluster.sh start  DIR   start munged, slurmctld and the slurmd nodes; wait
#                           until every node is idle (exit 0) or fail with the
#                           tail of the logs (exit 1)
#   cluster.sh stop   DIR   stop everything started by `start DIR`: the
#                           daemons by the pids it recorded, the jobs'
#                           processes by their node's private /tmp (never
#                           by name); also after a start that failed or was
#                           killed halfway. Exit 1 if something could not be
#                           stopped. Logs stay in DIR/log.
#   cluster.sh env    DIR   print the shell lines to use the cluster:
#                             eval "$(cluster.sh env DIR)"; srun -N 2 hostname
#   cluster.sh status DIR   daemons and `sinfo`; exit 0 when all are up
#
# Needs root, munge, slurmctld, slurmd, slurm-client and util-linux
# (unshare, setpriv). DIR holds everything: slurm.conf, the munge key and
# socket, state, spool, logs (DIR/log), pid files (DIR/run). It must not be
# under /tmp or /dev/shm: each node gets its own directories bind-mounted over
# those two, so they are hidden from the nodes.
#
# Each slurmd runs in its own mount and UTS namespace with its own hostname
# (psw-n1, psw-n2, ...), /tmp (DIR/nodes/NODE/tmp) and /dev/shm
# (DIR/nodes/NODE/shm): two slurmd on one host would otherwise collide in
# /tmp/spmix_appdir_* and in Open MPI's /dev/shm segments. Jobs see real
# separate nodes (PMIx reports num_nodes=2). Ports (slurmctld, one per node,
# SrunPortRange) are picked free at start so that concurrent clusters (other
# build directories) do not collide; nothing is written outside DIR except,
# when DIR is too long for unix socket paths, a short /run/psw-slurm.* that
# stop removes.
#
# Environment for start:
#   PSW_SLURM_NODES=2          number of nodes (psw-n1 .. psw-nN)
#   PSW_SLURM_CPUS=2           CPUs per node (config_overrides: may exceed
#                              the real core count)
#   PSW_SLURM_START_TIMEOUT=60 seconds to wait for the nodes to be idle
set -uo pipefail

PROG=${0##*/}
SLURMCTLD=$(command -v slurmctld || echo /usr/sbin/slurmctld)
SLURMD=$(command -v slurmd || echo /usr/sbin/slurmd)
MUNGED=$(command -v munged || echo /usr/sbin/munged)
MUNGEKEY=$(command -v mungekey || echo /usr/sbin/mungekey)

die() {
  echo "$PROG: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0" >&2
  exit 2
}

# ---------------------------------------------------------------- helpers

# pid_alive PID: a running (not zombie) process.
pid_alive() {
  local st
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# read_pid FILE: the pid in FILE, or nothing.
read_pid() {
  local p=
  [ -r "$1" ] && read -r p <"$1" 2>/dev/null
  case $p in '' | *[!0-9]*) return 0 ;; esac
  echo "$p"
}

# has_arg PID ARG: ARG is one of the arguments of PID's command line. Our
# daemons all carry a path inside DIR (-f DIR/slurm.conf, --socket=...): a
# reused pid, or another cluster's daemon, does not.
has_arg() {
  [ -r "/proc/$1/cmdline" ] &&
    tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "$2"
}

# tmp_pids DIR: every process whose /tmp is the directory DIR, i.e. every
# process in the namespace of the node that DIR is the /tmp of. (Namespace
# inode numbers are reused at once, so they do not identify a node.)
tmp_pids() {
  local id
  id=$(stat -L -c '%d %i' "$1" 2>/dev/null) || return 0
  stat -L -c '%d %i %n' /proc/[0-9]*/root/tmp 2>/dev/null |
    awk -v id="$id" '$1 " " $2 == id { split($3, a, "/"); print a[3] }'
}

host_ns() { readlink /proc/self/ns/mnt; }

# children_of PID: the pids of the children of PID (no procps needed).
children_of() {
  cat /proc/[0-9]*/stat 2>/dev/null |
    awk -v p="$1" '{ pid = $1; sub(/^.*\) /, ""); if ($2 == p) print pid }'
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# since MS: seconds elapsed since now_ms gave MS, as 1.234
since() {
  local d=$(($(now_ms) - $1))
  printf '%d.%03d' $((d / 1000)) $((d % 1000))
}

# free_ports N: N+64 free TCP ports: N single ones, then a block of 64
# consecutive ones (SrunPortRange), all below the ephemeral range.
free_ports() {
  python3 - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
try:
    lo_eph, hi_eph = map(int, open('/proc/sys/net/ipv4/ip_local_port_range').read().split())
except OSError:
    lo_eph, hi_eph = 32768, 60999
lo, hi = (10000, lo_eph - 1) if lo_eph > 12000 else (hi_eph + 1, 65535)
def free(p):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(('0.0.0.0', p))
        return True
    except OSError:
        return False
    finally:
        s.close()
rng = random.SystemRandom()
for _ in range(200):
    base = rng.randrange(lo, hi - 64)
    if all(free(p) for p in range(base, base + 64)):
        break
else:
    sys.exit('no block of 64 free ports')
singles = []
while len(singles) < n:
    p = rng.randrange(lo, hi)
    if (p < base or p >= base + 64) and p not in singles and free(p):
        singles.append(p)
print(' '.join(map(str, singles)), base, base + 63)
EOF
}

# world_searchable DIR: every directory from / to DIR has o+x.
world_searchable() {
  local p=$1
  while [ -n "$p" ]; do
    case $(stat -L -c %A "$p" 2>/dev/null) in ?????????[xt]) ;; *) return 1 ;; esac
    p=${p%/*}
  done
}

# ------------------------------------------------------------------ layout

set_paths() {
  [ -n "${1:-}" ] || usage
  case $1 in /*) D=$1 ;; *) D=$PWD/$1 ;; esac
  D=${D%/}
  CONF=$D/slurm.conf
  RUN=$D/run
  LOG=$D/log
}

# The names of the nodes of the cluster in DIR (from its nodes file).
node_names() {
  [ -r "$D/nodes.list" ] && cat "$D/nodes.list"
}

# ------------------------------------------------------------------- start

write_conf() {
  local ctld_port=$1 srun_lo=$2 srun_hi=$3 sock=$4 spool=$5
  shift 5
  local ports=("$@") i n
  local cpus=${PSW_SLURM_CPUS:-2}
  local nn=${#NODES[@]}
  {
    echo "# Written by tests/slurm/cluster.sh start; a test cluster."
    echo "ClusterName=parsweep"
    echo "SlurmctldHost=localhost"
    echo "SlurmctldPort=$ctld_port"
    echo "SrunPortRange=$srun_lo-$srun_hi"
    echo "AuthType=auth/munge"
    echo "AuthInfo=socket=$sock"
    echo "CredType=cred/munge"
    echo "SlurmUser=root"
    echo "SlurmdUser=root"
    echo "StateSaveLocation=$D/ctld"
    echo "SlurmctldPidFile=$RUN/slurmctld.pid"
    echo "SlurmctldLogFile=$LOG/slurmctld.log"
    echo "SlurmdSpoolDir=$spool/%n"
    echo "SlurmdPidFile=$RUN/slurmd.%n.pid"
    echo "SlurmdLogFile=$LOG/slurmd.%n.log"
    echo "SlurmctldDebug=info"
    echo "SlurmdDebug=info"
    echo "PlugStackConfig=$D/plugstack.conf"
    echo "ProctrackType=proctrack/linuxproc"
    echo "TaskPlugin=task/none"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_CPU"
    echo "MpiDefault=pmix"
    echo "SwitchType=switch/none"
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "AccountingStorageType=accounting_storage/none"
    echo "JobCompType=jobcomp/none"
    echo "MailProg=/bin/true"
    echo "SlurmdParameters=config_overrides"
    echo "ReturnToService=2"
    echo "SlurmctldTimeout=30"
    echo "SlurmdTimeout=30"
    echo "MessageTimeout=10"
    echo "KillWait=2"
    echo "InactiveLimit=0"
    echo "MinJobAge=600"
    echo "SchedulerParameters=sched_interval=2"
    i=0
    for n in "${NODES[@]}"; do
      echo "NodeName=$n NodeHostname=$n NodeAddr=127.0.0.1 Port=${ports[$i]} CPUs=$cpus RealMemory=1000 State=UNKNOWN"
      i=$((i + 1))
    done
    echo "PartitionName=debug Nodes=psw-n[1-$nn] Default=YES MaxTime=INFINITE State=UP"
  } >"$CONF"
}

start_munged() {
  local m=$1 as_munge=1
  mkdir -p "$m" || return 1
  # munged wants its socket directory world-searchable and not writable
  # by others, and its key readable only by its owner.
  chmod 711 "$m"
  id munge >/dev/null 2>&1 || as_munge=0 # no munge user: run it as root
  if [ ! -s "$m/munge.key" ]; then
    "$MUNGEKEY" -c -k "$m/munge.key" 2>>"$LOG/munged.stderr" ||
      dd if=/dev/urandom of="$m/munge.key" bs=1024 count=1 status=none ||
      return 1
  fi
  chmod 600 "$m/munge.key"
  if [ $as_munge = 1 ]; then
    chown -R munge:munge "$m"
    # munged daemonizes and returns once its socket is ready.
    setpriv --reuid=munge --regid=munge --init-groups \
      "$MUNGED" --socket="$m/munge.socket" --key-file="$m/munge.key" \
      --pid-file="$m/munged.pid" --log-file="$m/munged.log" \
      --seed-file="$m/munged.seed" </dev/null >>"$LOG/munged.stderr" 2>&1
  else
    "$MUNGED" --socket="$m/munge.socket" --key-file="$m/munge.key" \
      --pid-file="$m/munged.pid" --log-file="$m/munged.log" \
      --seed-file="$m/munged.seed" </dev/null >>"$LOG/munged.stderr" 2>&1
  fi
}

# start_node NAME SPOOL: slurmd -D for NAME in new mount and UTS namespaces,
# with its hostname and private /tmp and /dev/shm. Records its pid and its
# mount namespace in RUN before slurmd runs.
start_node() {
  local n=$1 spool=$2 nd=$D/nodes/$1
  mkdir -p "$nd/tmp" "$nd/shm" "$spool/$n" || return 1
  chmod 1777 "$nd/tmp" "$nd/shm"
  rm -f "$RUN/slurmd.$n.ns"
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid unshare --mount --uts --propagation private -- /bin/sh -c '
    set -e
    readlink /proc/self/ns/mnt >"$5.tmp"
    mv "$5.tmp" "$5"
    hostname "$1"
    mount --bind "$2" /tmp
    mount --bind "$3" /dev/shm
    exec "$6" -D -f "$4" -N "$1"' \
    sh "$n" "$nd/tmp" "$nd/shm" "$CONF" "$RUN/slurmd.$n.ns" "$SLURMD" \
    </dev/null >>"$LOG/slurmd.$n.stderr" 2>&1 &
  echo $! >"$RUN/slurmd.$n.pid"
  echo $! >"$RUN/slurmd.$n.launch"
}

tail_logs() {
  local f
  for f in "$LOG"/*.log "$LOG"/*.stderr "$D"/munge/munged.log; do
    [ -s "$f" ] || continue
    echo "----- tail $f" >&2
    tail -n 15 "$f" >&2
  done
}

fail_start() {
  echo "$PROG: start failed: $*" >&2
  tail_logs
  echo "$PROG: stopping what was started" >&2
  do_stop >&2
  exit 1
}

do_start() {
  local nn=${PSW_SLURM_NODES:-2} i p ports sock spool short='' t0 deadline
  t0=$(now_ms)
  [ "$(id -u)" = 0 ] || die "must run as root (slurmd, namespaces, mounts)"
  case $D/ in /tmp/* | /dev/shm/*)
    die "DIR must not be under /tmp or /dev/shm (hidden inside the nodes)" ;;
  esac
  for p in "$SLURMCTLD" "$SLURMD" "$MUNGED" sinfo scontrol unshare setpriv python3; do
    command -v "$p" >/dev/null 2>&1 || die "$p not found"
  done
  case $nn in '' | *[!0-9]* | 0 | 1) die "PSW_SLURM_NODES must be >= 2" ;; esac
  case ${PSW_SLURM_CPUS:-2} in '' | *[!0-9]* | 0) die "PSW_SLURM_CPUS must be >= 1" ;; esac

  # Leftovers of an earlier run in DIR (a start killed midway, no stop).
  if [ -d "$RUN" ]; then
    do_stop >/dev/null 2>&1 || die "could not stop the previous cluster in $D"
  fi
  rm -rf "$RUN" "$LOG" "$D/ctld" "$D/spool" "$D/nodes" "$D/munge"
  mkdir -p "$RUN" "$LOG" "$D/ctld" || die "cannot create $D"

  NODES=()
  for i in $(seq 1 "$nn"); do NODES+=("psw-n$i"); done
  printf '%s\n' "${NODES[@]}" >"$D/nodes.list"

  # Unix socket paths are limited to 107 bytes: the spool holds slurmstepd's
  # and PMIx's sockets (about 45 bytes below it), so keep it short. munged
  # wants every directory above its socket searchable by all.
  spool=$D/spool
  local mdir=$D/munge
  if [ ${#D} -gt 56 ] || ! world_searchable "$D"; then
    short=$(mktemp -d /run/psw-slurm.XXXXXX) ||
      fail_start "DIR is long or not searchable by all, and no short dir in /run"
    chmod 755 "$short"
    echo "$short" >"$RUN/shortdir"
    spool=$short/spool
    mdir=$short/munge
  fi
  mkdir -p "$spool"
  : >"$D/plugstack.conf"

  # munge: private key, socket, pid, log.
  echo "$mdir" >"$RUN/mungedir"
  sock=$mdir/munge.socket
  start_munged "$mdir" || fail_start "munged did not start"
  [ -S "$sock" ] || fail_start "no munge socket $sock"

  read -r -a ports <<<"$(free_ports $((nn + 1)))"
  [ ${#ports[@]} -eq $((nn + 3)) ] || fail_start "could not pick free ports"
  # ports: ctld n1..nN srun_lo srun_hi
  write_conf "${ports[0]}" "${ports[$((nn + 1))]}" "${ports[$((nn + 2))]}" \
    "$sock" "$spool" "${ports[@]:1:$nn}"

  setsid "$SLURMCTLD" -D -i -f "$CONF" \
    </dev/null >>"$LOG/slurmctld.stderr" 2>&1 &
  echo $! >"$RUN/slurmctld.pid"

  for n in "${NODES[@]}"; do
    start_node "$n" "$spool" || fail_start "cannot prepare node $n"
  done

  deadline=$(($(date +%s) + ${PSW_SLURM_START_TIMEOUT:-60}))
  # Every node in its own namespace (never the host's: stop kills by it).
  for n in "${NODES[@]}"; do
    while [ ! -s "$RUN/slurmd.$n.ns" ]; do
      pid_alive "$(read_pid "$RUN/slurmd.$n.launch")" ||
        fail_start "node $n: namespace setup failed"
      [ "$(date +%s)" -lt "$deadline" ] || fail_start "node $n: no namespace"
      sleep 0.05
    done
    [ "$(cat "$RUN/slurmd.$n.ns")" != "$(host_ns)" ] ||
      fail_start "node $n: not in its own mount namespace"
  done

  # Wait for every node to be idle.
  local idle
  while :; do
    pid_alive "$(read_pid "$RUN/slurmctld.pid")" || fail_start "slurmctld exited"
    for n in "${NODES[@]}"; do
      pid_alive "$(read_pid "$RUN/slurmd.$n.launch")" || fail_start "slurmd $n exited"
    done
    idle=$(SLURM_CONF=$CONF sinfo -h -N -o '%N %T' 2>/dev/null | grep -c ' idle$')
    [ "$idle" -ge "$nn" ] && break
    [ "$(date +%s)" -lt "$deadline" ] ||
      fail_start "nodes not idle after ${PSW_SLURM_START_TIMEOUT:-60}s: $(SLURM_CONF=$CONF sinfo -h -N -o '%N=%T' 2>&1 | tr '\n' ' ')"
    sleep 0.2
  done
  echo "$PROG: cluster up in $(since "$t0")s: $nn nodes (${NODES[*]}), slurmctld port ${ports[0]}, conf $CONF"
}

# -------------------------------------------------------------------- stop

# kill_wait SECONDS PID...: TERM, wait up to SECONDS, then KILL and wait.
kill_wait() {
  local secs=$1 p left end
  shift
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null
  end=$(($(date +%s) + secs))
  while :; do
    left=()
    for p in "$@"; do pid_alive "$p" && left+=("$p"); done
    [ ${#left[@]} -eq 0 ] && return 0
    [ "$(date +%s)" -lt "$end" ] || break
    sleep 0.1
  done
  kill -KILL "${left[@]}" 2>/dev/null
  end=$(($(date +%s) + 5))
  while :; do
    left=()
    for p in "$@"; do pid_alive "$p" && left+=("$p"); done
    [ ${#left[@]} -eq 0 ] && return 0
    [ "$(date +%s)" -lt "$end" ] || break
    sleep 0.1
  done
  echo "$PROG: still alive after KILL: ${left[*]}" >&2
  return 1
}

# cluster_pids daemons|jobs|munge: the processes of the cluster in DIR.
#   daemons  slurmctld (and its children: slurmscriptd) and the slurmd (or
#            their launchers: setsid, unshare, sh), by recorded pid, checked
#            to have DIR's slurm.conf on their command line
#   jobs     every other process in a node's namespace (slurmstepd, the
#            jobs' processes), found by their /tmp being the node's
#   munge    munged, by its pid file, checked to have DIR's socket
cluster_pids() {
  local p n f daemons=" "
  case $1 in
  daemons | jobs)
    p=$(read_pid "$RUN/slurmctld.pid")
    if pid_alive "$p" && has_arg "$p" "$CONF"; then
      daemons+="$p $(children_of "$p" | tr '\n' ' ')"
    fi
    for n in $(node_names); do
      for f in "$RUN/slurmd.$n.pid" "$RUN/slurmd.$n.launch"; do
        p=$(read_pid "$f")
        pid_alive "$p" && has_arg "$p" "$CONF" && daemons+="$p "
      done
    done
    if [ "$1" = jobs ]; then
      for n in $(node_names); do
        for p in $(tmp_pids "$D/nodes/$n/tmp"); do
          case $daemons in *" $p "*) ;; *) echo "$p" ;; esac
        done
      done
    else
      # shellcheck disable=SC2086 # one pid per word
      printf '%s\n' $daemons | sort -un
    fi
    ;;
  munge)
    local mdir
    mdir=$(cat "$RUN/mungedir" 2>/dev/null)
    [ -n "$mdir" ] || return 0
    p=$(read_pid "$mdir/munged.pid")
    pid_alive "$p" && has_arg "$p" "--socket=$mdir/munge.socket" && echo "$p"
    ;;
  esac
  return 0
}

do_stop() {
  local rc=0 daemons jobs pids n left short t0 i
  t0=$(now_ms)
  [ -d "$RUN" ] || { echo "$PROG: nothing to stop in $D"; return 0; }
  # The daemons get TERM; what runs in the nodes' namespaces (slurmstepd,
  # job processes) gets KILL: a test cluster has nothing to save. The
  # namespaces and their mounts vanish with their last process.
  read -r -a daemons <<<"$(cluster_pids daemons | tr '\n' ' ')"
  [ ${#daemons[@]} -gt 0 ] && kill -TERM "${daemons[@]}" 2>/dev/null
  for i in 1 2 3; do # again for what forked meanwhile
    read -r -a jobs <<<"$(cluster_pids jobs | tr '\n' ' ')"
    [ ${#jobs[@]} -gt 0 ] || break
    kill -KILL "${jobs[@]}" 2>/dev/null
    sleep 0.1
  done
  kill_wait 5 "${daemons[@]}" || rc=1
  read -r -a jobs <<<"$(cluster_pids jobs | tr '\n' ' ')"
  kill_wait 0 "${jobs[@]}" || rc=1
  read -r -a pids <<<"$(cluster_pids munge | tr '\n' ' ')"
  kill_wait 5 "${pids[@]}" || rc=1

  for n in $(node_names); do
    left=$(tmp_pids "$D/nodes/$n/tmp" | tr '\n' ' ')
    if [ -n "$left" ]; then
      echo "$PROG: node $n: processes remain: $left" >&2
      rc=1
    fi
    rm -f "$RUN/slurmd.$n.ns"
  done
  # The binds live in the nodes' namespaces only, and went with them;
  # should one of the nodes' directories be mounted on in the host's
  # namespace, unmount it all the same.
  local mnt
  while read -r mnt; do
    [ -n "$mnt" ] && umount -l "$mnt" 2>/dev/null
  done < <(awk -v d="$D/nodes/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  short=$(cat "$RUN/shortdir" 2>/dev/null)
  if [ $rc = 0 ] && [ -n "$short" ]; then
    case $short in /run/psw-slurm.*) rm -rf "$short" ;; esac
    rm -f "$RUN/shortdir"
  fi
  if [ $rc = 0 ]; then
    rm -f "$RUN"/*.pid "$RUN"/*.launch
    echo "$PROG: cluster in $D stopped in $(since "$t0")s"
  fi
  return $rc
}

# ------------------------------------------------------------- env, status

do_env() {
  [ -r "$CONF" ] || die "no cluster in $D (no $CONF)"
  printf 'export SLURM_CONF=%q\n' "$CONF"
  printf 'export PSW_SLURM_DIR=%q\n' "$D"
  # A job's own variables would make srun/sbatch act inside that job.
  echo 'unset SLURM_JOB_ID SLURM_JOBID SLURM_STEP_ID SLURM_STEPID SLURM_NODELIST SLURM_JOB_NODELIST SLURM_NNODES SLURM_NTASKS SLURM_NPROCS'
}

do_status() {
  local rc=0 p n
  [ -r "$CONF" ] || { echo "no cluster in $D"; return 1; }
  p=$(cluster_pids munge)
  if [ -n "$p" ]; then echo "munged     pid $p"; else echo "munged     down"; rc=1; fi
  p=$(read_pid "$RUN/slurmctld.pid")
  if pid_alive "$p" && has_arg "$p" "$CONF"; then echo "slurmctld  pid $p"; else
    echo "slurmctld  down"
    rc=1
  fi
  for n in $(node_names); do
    p=$(read_pid "$RUN/slurmd.$n.pid")
    if pid_alive "$p" && has_arg "$p" "$CONF"; then
      echo "slurmd $n pid $p $(cat "$RUN/slurmd.$n.ns" 2>/dev/null)"
    else
      echo "slurmd $n down"
      rc=1
    fi
  done
  SLURM_CONF=$CONF sinfo -N -o '%N %T %C %P' 2>&1 || rc=1
  return $rc
}

[ $# -eq 2 ] || usage
verb=$1
set_paths "$2"
case $verb in
start) do_start ;;
stop) do_stop ;;
env) do_env ;;
status) do_status ;;
*) usage ;;
esac
