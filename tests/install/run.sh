#!/usr/bin/env bash
# The install test: install a parsweep build tree to a temporary prefix, then
# use it from outside as a user would, through find_package(parsweep) and
# through pkg-config, and run the result (a barrier and an allreduce on the
# fork backend); then the rest of SPEC §8 from the prefix: the Python
# package, the parsweep command (info, a sweep, submit --dry-run finding the
# prefix's jobscripts), man pages through MANPATH and the bash completion.
#
#   tests/install/run.sh BUILD_DIR [C_COMPILER [EXTRA_C_FLAGS]]
#
# EXTRA_C_FLAGS is for sanitizer builds: a program linked with an ASan-built
# libparsweep must itself be built with -fsanitize=address.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [C_COMPILER [EXTRA_C_FLAGS]]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
cc=${2:-cc}
extra=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parsweep-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() {
  echo "install test: $*" >&2
  exit 1
}
step() { echo "--- $*"; }

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }

# GNUInstallDirs: the libdir may be lib, lib64 or lib/<multiarch>.
pc=$(find "$prefix" -path '*/pkgconfig/parsweep.pc' | head -n 1)
[ -n "$pc" ] || fail "no pkgconfig/parsweep.pc under $prefix"
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
[ -f "$libdir/cmake/parsweep/parsweepConfig.cmake" ] ||
  fail "no cmake/parsweep/parsweepConfig.cmake in $libdir"
[ -f "$libdir/cmake/parsweep/parsweepConfigVersion.cmake" ] ||
  fail "no parsweepConfigVersion.cmake in $libdir/cmake/parsweep"
ls "$libdir"/libparsweep.so* >/dev/null 2>&1 || fail "no libparsweep.so in $libdir"
[ -f "$libdir/libparsweep.a" ] || fail "no libparsweep.a in $libdir"
for h in parsweep.h parsweep/manager.h parsweep/collectives.h parsweep/sched.h \
  parsweep/error.h parsweep/log.h parsweep/export.h parsweep/version.h; do
  [ -f "$prefix/include/$h" ] || fail "header $h not installed"
done
echo "libdir: ${libdir#"$prefix"/}"

step "find_package(parsweep) from an outside project"
cmake -S "$here" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log" >&2; fail "configuring the consumer failed"; }
cmake --build "$tmp/build" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log" >&2; fail "building the consumer failed"; }
"$tmp/build/consumer" || fail "the CMake-built consumer failed"

step "pkg-config --libs parsweep"
export PKG_CONFIG_PATH=$pcdir
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR || true
pkg-config --exists parsweep || fail "pkg-config does not find parsweep"
libs=$(pkg-config --libs parsweep) || fail "pkg-config --libs parsweep failed"
cflags=$(pkg-config --cflags parsweep) || fail "pkg-config --cflags failed"
echo "libs: $libs"
echo "cflags: $cflags"
case " $libs " in *" -lparsweep "*) ;; *) fail "--libs lacks -lparsweep" ;; esac
# The .pc must describe the prefix it was installed to, not the one the
# build was configured with (a relocatable .pc may say
# ${pcfiledir}/../..: compare resolved paths).
has_dir() { # FLAG DIR WORDS...: does some FLAGpath resolve to DIR?
  local flag=$1 want dir w
  want=$(realpath -m "$2")
  shift 2
  for w in "$@"; do
    case $w in "$flag"*) dir=$(realpath -m "${w#"$flag"}")
      [ "$dir" = "$want" ] && return 0 ;;
    esac
  done
  return 1
}
# shellcheck disable=SC2086
has_dir -L "$libdir" $libs ||
  fail "--libs does not point at the installed libdir $libdir (parsweep.pc not relocatable: it names the configure-time prefix)"
# shellcheck disable=SC2086
has_dir -I "$prefix/include" $cflags ||
  fail "--cflags does not point at $prefix/include (parsweep.pc not relocatable: it names the configure-time prefix)"

step "build with pkg-config flags (shared)"
# shellcheck disable=SC2086 # word splitting of flags is intended
"$cc" $extra $cflags "$here/main.c" -o "$tmp/consumer-pc" $libs ||
  fail "compiling with pkg-config flags failed"
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$tmp/consumer-pc" || fail "the pkg-config-built consumer failed"

step "build with pkg-config --static flags (libparsweep.a)"
static_libs=$(pkg-config --static --libs parsweep)
# shellcheck disable=SC2086
"$cc" $extra $cflags "$here/main.c" -o "$tmp/consumer-static" \
  -L"$libdir" -Wl,-Bstatic -lparsweep -Wl,-Bdynamic \
  ${static_libs//-lparsweep/} ||
  fail "linking libparsweep.a with pkg-config --static flags failed"
"$tmp/consumer-static" || fail "the statically linked consumer failed"

step "the Python package (SPEC §7)"
sitedir=$(sed -n 's/^PSW_PYTHON_SITEDIR:STRING=//p' "$build/CMakeCache.txt")
[ -n "$sitedir" ] || fail "PSW_PYTHON_SITEDIR not in $build/CMakeCache.txt"
[ -f "$prefix/$sitedir/parsweep/__init__.py" ] ||
  fail "python package not installed in $prefix/$sitedir/parsweep"
if [ -x /usr/bin/python3 ]; then
  # Where the system interpreter looks for this prefix: installing to
  # /usr/local must need no PYTHONPATH.
  /usr/bin/python3 - "$sitedir" <<'PY' || fail "/usr/bin/python3 does not search /usr/local/$sitedir"
import sys
want = "/usr/local/" + sys.argv[1]
sys.exit(0 if want in sys.path else 1)
PY
  got=$(cd "$tmp" && PYTHONPATH="$prefix/$sitedir" /usr/bin/python3 -c \
    'import parsweep; print(parsweep.__file__)') ||
    fail "import parsweep from $prefix/$sitedir failed"
  case $got in "$prefix/$sitedir/parsweep/"*) ;; *) fail "imported $got" ;; esac
fi

step "the parsweep command from the prefix (SPEC §8)"
bin=$prefix/bin/parsweep
[ -x "$bin" ] || fail "no bin/parsweep"
# What the build tree has, the installed command has too.
want=$("$build/src/cli/parsweep" info --json | sed 's/.*"built": //')
got=$(env -i PATH=/usr/bin:/bin "$bin" info --json | sed 's/.*"built": //') ||
  fail "installed parsweep info failed"
[ "$got" = "$want" ] || fail "installed parsweep info says built $got, the build tree $want"
echo "built: $got"
# A sweep run from the prefix, with nothing of the build tree around.
mkdir -p "$tmp/run"
cat >"$tmp/run/spec.yaml" <<'YAML'
parameters:
  a: {type: LinearSample, lower_limit: 0, upper_limit: 1, num_samples: 3}
outputs: [y]
model:
  command: [sh, -c, "echo y={a}"]
YAML
(cd "$tmp/run" && "$bin" run spec.yaml -o out.h5 -q -b serial) ||
  fail "installed parsweep run failed"
"$bin" show "$tmp/run/out.h5" | grep -q "3 ok\|ok *3" ||
  { "$bin" show "$tmp/run/out.h5"; fail "installed parsweep show: not 3 ok"; }

step "the jobscripts, found by submit from the prefix"
for t in node hybrid mpi chain elastic; do
  [ -x "$prefix/share/parsweep/jobscripts/$t.sbatch" ] ||
    fail "jobscripts/$t.sbatch not installed"
  # chain.sbatch is for sbatch itself (#SBATCH --open-mode).
  [ "$t" = chain ] && continue
  (cd "$tmp/run" && env -u PARSWEEP_JOBSCRIPTS "$bin" submit spec.yaml \
    --template "$t" --dry-run >"$tmp/submit.out" 2>&1) ||
    { cat "$tmp/submit.out" >&2; fail "submit --template $t --dry-run"; }
  grep -q "$prefix/bin/../share/parsweep/jobscripts/$t.sbatch\|^#SBATCH" \
    "$tmp/submit.out" || fail "submit --dry-run did not print $t's script"
done

step "man pages found through MANPATH, bash completion"
if grep -q '^PSW_MAN_BUILT:INTERNAL=ON' "$build/CMakeCache.txt"; then
  command -v man >/dev/null || fail "man not installed (Debian: man-db)"
  for p in parsweep parsweep-run parsweep-show parsweep-info parsweep-status \
    parsweep-submit parsweep-worker; do
    [ -f "$prefix/share/man/man1/$p.1" ] || fail "man page $p.1 not installed"
    found=$(MANPATH=$prefix/share/man man -w "$p") || fail "man -w $p"
    [ "$found" = "$prefix/share/man/man1/$p.1" ] || fail "man -w $p: $found"
  done
  MANPATH=$prefix/share/man MANWIDTH=80 man -P cat parsweep-run 2>/dev/null |
    grep -q -- "--resume" || fail "man parsweep-run does not show --resume"
  echo "man: $(MANPATH=$prefix/share/man man -w parsweep-run)"
else
  echo "man pages not built (no scdoc): not checked"
fi
comp=$prefix/share/bash-completion/completions/parsweep
[ -f "$comp" ] || fail "no bash completion in share/bash-completion/completions"
verbs=$(bash --norc -c 'source "$1"; COMP_WORDS=(parsweep ""); COMP_CWORD=1;
  _parsweep; echo "${COMPREPLY[*]}"' x "$comp")
case " $verbs " in *" run "*" worker "*) ;; *) fail "completion offers '$verbs'" ;; esac
echo "completion: $verbs"

echo "install test: ok"
