"""A script written for RayIo, started on "another node" by
test_parallel.py with PARSWEEP_RAYIO_CONNECT: its scatter serves the head's
and its gather returns []. Prints its pid and what it got."""

import os
import time

from parsweep.parallel import RayIoParallelManager, create_parallel_manager


def do_build():
    return []


def do_execute(local_parameters):
    time.sleep(0.01)
    return [(os.getpid(), int(p)) for p in local_parameters]


pm = create_parallel_manager(number_of_subprocesses=2, parallel_back_end="RayIo")
assert isinstance(pm, RayIoParallelManager) and not pm.is_root_process()
pm.scatter(do_build, {}, do_execute, list(range(60)))
print(f"worker {os.getpid()} gather {pm.gather()}", flush=True)
