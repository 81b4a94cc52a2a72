"""Shared helpers of the Python test harnesses (tests/cli/clitest.py,
tests/faults/faultlib.py, tests/mpi/mpitest.py, tests/server/srvtest.py):
proc, starting, timing out and reaping processes."""
