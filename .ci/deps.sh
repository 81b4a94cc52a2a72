#!/usr/bin/env bash
# Install everything parsweep needs to build and test on Debian 12.
# The one list of packages: .ci/run and the README's set-up commands call
# this script. Runs as root, or through sudo when that exists.
#   bash .ci/deps.sh            install
#   bash .ci/deps.sh --list     print the package list and exit
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang
  # clang's sanitizer and libFuzzer runtimes (libclang_rt.{tsan,fuzzer,asan}:
  # only recommended by clang, and this script skips recommends)
  libclang-rt-dev
  # the sweep tool: YAML specs, samplers, results.h5
  libyaml-dev libgsl-dev libhdf5-dev hdf5-tools
  # journal checksums and the spec hash (XXH3)
  libxxhash-dev
  # the elastic backend (ZeroMQ with CURVE), and a capture of its traffic
  libzmq3-dev tcpdump
  # analysis scripts and tests that read results.h5
  python3 python3-h5py python3-numpy python3-matplotlib python3-pytest
  # MPI and hybrid backends: Open MPI, PMIx, parallel HDF5
  openmpi-bin libopenmpi-dev libpmix-dev libpmix-bin libhdf5-openmpi-dev
  # Slurm: libslurm for submit/status, and a real cluster for the tests
  slurm-wlm slurmctld slurmd slurm-client libslurm-dev munge libmunge-dev
  # man pages (scdoc turns man/*.scd into roff; man finds them in tests)
  scdoc man-db
  # benchmark baselines
  python3-mpi4py parallel
)

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "deps.sh: run as root (or install sudo)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}"
