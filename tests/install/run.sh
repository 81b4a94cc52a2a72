#!/usr/bin/env bash
# The install test: install a parsweep build tree to a temporary prefix, then
# use it from outside as a user would, through find_package(parsweep) and
# through pkg-config, and run the result (a barrier and an allreduce on the
# fork backend).
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

echo "install test: ok"
