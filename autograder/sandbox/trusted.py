"""Limits for the trusted grading process: pytest with the hidden suites and the reference.

    with trusted_limits() as prefix:                     # TrustedLimits() by default
        subprocess.Popen(prefix + pytest_command, ...)

The trusted process runs the reference on inputs a submission can shape (an
artifact's array sizes, a model's layer widths), so a small hostile input can
make it do unbounded work (issue 12, finding 8: 5 GB for a 1 MB artifact).
It gets a cgroup of its own, beside the workers' (cgroups.py), with a memory
limit, a process limit and a CPU quota; where there are no cgroups, an
address-space limit (RLIMIT_AS). When it is killed for memory, grading stops
for that submission only ("Grading stopped unexpectedly", retried next run).
When the block ends, everything left in the group is killed and the group
removed.
"""
import contextlib
import dataclasses
import itertools
import os
import sys

from . import cgroups, isolation
from .isolation import ADDRESS_SPACE_SLACK, GiB

_names = itertools.count()


@dataclasses.dataclass(frozen=True)
class TrustedLimits:
    """Limits of one trusted pytest process (its own threads and children included)."""
    memory_bytes: int = 6 * GiB    # torch and the reference on hidden inputs; about 10x what assignment1 needs
    pids: int = 512                # pytest's threads, the wrappers that start workers
    cpus: float = 2.0              # CPU quota in cores

    def describe(self, support=None):
        support = support or isolation.cgroup_support()
        if support.version:
            return (f"trusted pytest: {self.memory_bytes / GiB:g} GiB, {self.pids} processes, "
                    f"{self.cpus:g} CPU cores ({support.describe()})")
        return (f"trusted pytest: address space {(self.memory_bytes + ADDRESS_SPACE_SLACK) / GiB:g} GiB per "
                "process (RLIMIT_AS; no cgroups: children not counted, no CPU quota)")


@contextlib.contextmanager
def trusted_limits(limits=TrustedLimits()):
    """Yield the argv prefix that starts a command under `limits`; clean up after."""
    support, group = isolation.cgroup_support(), None
    if support.version:
        cgroups.sweep_stale(support, "trusted-")
        try:
            group = cgroups.Group(support, f"trusted-{os.getpid()}-{next(_names)}",
                                  memory_bytes=limits.memory_bytes, pids=limits.pids, cpus=limits.cpus)
        except (OSError, cgroups.CgroupError) as exc:
            print(f"WARNING (autograder.sandbox): no cgroup for the trusted process ({exc}); "
                  "limiting its address space only", file=sys.stderr)
    if group is None:
        prlimit = "/usr/bin/prlimit"
        yield [prlimit, f"--as={limits.memory_bytes + ADDRESS_SPACE_SLACK}", "--"] if os.path.exists(prlimit) else []
        return
    try:
        yield group.join_argv()
    finally:
        group.remove()
