#!/usr/bin/env bash
# variant.sh MODE SRC DIR CC SANITIZE: configure (and build) another build
# tree of this source, as the build tests need (SPEC §8, issue 14):
#   plain  `cmake -S SRC -B DIR` with no dependency option (all AUTO): on
#          the CI machine, with every package installed, MPI (parallel
#          HDF5), PMIx, Slurm and ZeroMQ must all be found; builds parsweep
#          and checks that `parsweep info` lists them.
#   nompi  -DPSW_WITH_MPI=OFF -DPSW_WITH_PMIX=OFF, builds parsweep: the
#          build the launch-refusal tests run (refuse.sh, slurm.refuse_srun).
#   libc   nothing found (MPI and pkg-config hidden from CMake, /usr
#          ignored for libslurm) and no sweep tool: every option AUTO turns
#          off, the library builds and needs nothing but libc; ON for a
#          missing package fails naming its Debian package.
# Only the targets needed are built (a few seconds each). SANITIZE (ON/OFF)
# is passed on as PSW_SANITIZE for the trees whose binaries tests run.
set -euo pipefail
mode=$1 src=$2 dir=$3 cc=$4 sanitize=${5:-OFF}
fail() { echo "build.$mode: $*" >&2; exit 1; }
common=(-DCMAKE_C_COMPILER="$cc" -DPSW_BUILD_TESTS=OFF
        -DPSW_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo)
# A fresh tree each time: a cache left by an earlier run would hide what
# AUTO finds now.
rm -rf "$dir"
mkdir -p "$dir"
log=$dir.log

summary_has() { # NAME STATE: the configure summary's row for NAME
  grep -Eq "^-- +$1 \\([^)]*\\) +$2 " "$log" ||
    fail "summary: '$1' is not $2: $(grep -E "^-- +$1 " "$log")"
}

case $mode in
plain)
  cmake -S "$src" -B "$dir" "${common[@]}" >"$log" 2>&1 ||
    { cat "$log" >&2; fail "configure failed"; }
  sed -n '/what this build has/,/man pages/p' "$log"
  for dep in MPI PMIx Slurm ZeroMQ "sweep tool"; do summary_has "$dep" ON; done
  grep -q "HDF5 [0-9.]* parallel" "$log" || fail "not parallel HDF5"
  cmake --build "$dir" --target parsweep_cli -j 2 >>"$log" 2>&1 ||
    { tail -30 "$log" >&2; fail "build failed"; }
  info=$("$dir/src/cli/parsweep" info)
  echo "$info" | grep -E "built with|without"
  for f in mpi hybrid pmix submit elastic parallel_hdf5; do
    echo "$info" | grep -Eq "^  built with .* $f( |\$)" ||
      fail "parsweep info does not list $f as built"
  done
  echo "$info" | grep -Eq "^  without +-\$" || fail "something is left out"
  ;;
nompi)
  cmake -S "$src" -B "$dir" "${common[@]}" -DPSW_WITH_MPI=OFF \
    -DPSW_WITH_PMIX=OFF -DPSW_BUILD_MAN=OFF -DPSW_SANITIZE="$sanitize" \
    >"$log" 2>&1 || { cat "$log" >&2; fail "configure failed"; }
  summary_has MPI OFF
  cmake --build "$dir" --target parsweep_cli -j 2 >>"$log" 2>&1 ||
    { tail -30 "$log" >&2; fail "build failed"; }
  "$dir/src/cli/parsweep" info --json | grep -q '"mpi": false' ||
    fail "parsweep info --json does not say mpi false"
  ;;
libc)
  hide=(-DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON
        -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON
        -DCMAKE_IGNORE_PREFIX_PATH=/usr -DPSW_BUILD_SWEEP=OFF)
  for dep in MPI:libopenmpi-dev PMIX:libpmix-dev SLURM:libslurm-dev \
    ELASTIC:libzmq3-dev; do
    rm -rf "$dir.on"
    if cmake -S "$src" -B "$dir.on" "${common[@]}" "${hide[@]}" \
      -DPSW_WITH_"${dep%%:*}"=ON >"$log" 2>&1; then
      fail "PSW_WITH_${dep%%:*}=ON configured without its package"
    fi
    if ! grep -q "PSW_WITH_${dep%%:*}=ON but" "$log" ||
      ! grep -q "${dep#*:}" "$log"; then
      cat "$log" >&2
      fail "no clear message for PSW_WITH_${dep%%:*}=ON"
    fi
    echo "PSW_WITH_${dep%%:*}=ON without it: $(grep -o "but .*" "$log" | head -1)"
  done
  rm -rf "$dir.on"
  cmake -S "$src" -B "$dir" "${common[@]}" "${hide[@]}" >"$log" 2>&1 ||
    { cat "$log" >&2; fail "configure failed"; }
  sed -n '/what this build has/,/man pages/p' "$log"
  for dep in MPI PMIx Slurm ZeroMQ; do summary_has "$dep" OFF; done
  cmake --build "$dir" --target parsweep parsweep_static -j 2 >>"$log" 2>&1 ||
    { tail -30 "$log" >&2; fail "build failed"; }
  needed=$(readelf -d "$dir/src/libparsweep.so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p')
  echo "libparsweep.so needs: ${needed//$'\n'/ }"
  for lib in $needed; do
    case $lib in libc.so.* | libpthread.so.* | ld-linux*) ;;
    *) fail "libparsweep.so needs $lib" ;; esac
  done
  ;;
*) fail "unknown mode" ;;
esac
echo "build.$mode: ok"
