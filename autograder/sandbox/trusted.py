"""Limits for the trusted grading process: pytest with the hidden suites and the reference.

    with trusted_limits() as limits:                     # TrustedLimits() by default
        subprocess.Popen(limits.argv + pytest_command, ...)   # a new interpreter, or
        pid = os.fork()
        if pid == 0:
            limits.enter()                               # a forked pytest (run_suite.FORK_PYTEST)
            ...

The trusted process runs the reference on inputs a submission can shape (an
artifact's array sizes, a model's layer widths), so a small hostile input can
make it do unbounded work (issue 12, finding 8: 5 GB for a 1 MB artifact).
It gets a cgroup of its own, beside the workers' (cgroups.py), with a memory
limit, a process limit and a CPU quota; where there are no cgroups, an
address-space limit (RLIMIT_AS). When it is killed for memory, grading stops
for that submission only ("Grading stopped unexpectedly", retried next run).
When the block ends, everything left in the group is killed and the group
removed.

A forked pytest joins the group itself (`enter`): what it shares with the
zygote it was forked from stays charged to the zygote's group, and everything
it allocates from then on counts here.
"""
import contextlib
import dataclasses
import itertools
import os
import resource
import sys

from . import cgroups, isolation
from .isolation import ADDRESS_SPACE_SLACK, GiB

_names = itertools.count()
PRLIMIT = "/usr/bin/prlimit"


@dataclasses.dataclass(frozen=True)
class TrustedLimits:
    """Limits of one trusted pytest process (its own threads and children included)."""
    memory_bytes: int = 6 * GiB    # torch and the reference on hidden inputs; about 10x what assignment1 needs
    pids: int = 512                # pytest's threads, the wrappers that start workers
    cpus: float = 2.0              # CPU quota in cores

    @property
    def address_space_bytes(self):
        return self.memory_bytes + ADDRESS_SPACE_SLACK

    def describe(self, support=None):
        support = support or isolation.cgroup_support()
        if support.version:
            return (f"trusted pytest: {self.memory_bytes / GiB:g} GiB, {self.pids} processes, "
                    f"{self.cpus:g} CPU cores ({support.describe()})")
        return (f"trusted pytest: address space {self.address_space_bytes / GiB:g} GiB per "
                "process (RLIMIT_AS; no cgroups: children not counted, no CPU quota)")


class Confinement:
    """How one trusted process is put under its limits: `argv` for a new command, `enter()` in a fork."""

    def __init__(self, limits, group=None):
        self.limits, self.group = limits, group

    @property
    def argv(self):
        """Prefix for a command line: it runs under the limits from its first instruction."""
        if self.group is not None:
            return self.group.join_argv()
        if os.path.exists(PRLIMIT):
            return [PRLIMIT, f"--as={self.limits.address_space_bytes}", "--"]
        return []

    def enter(self):
        """Put the calling process (a fresh fork, before it runs anything) under the limits."""
        if self.group is not None:
            self.group.join(os.getpid())
        else:
            resource.setrlimit(resource.RLIMIT_AS, (self.limits.address_space_bytes,) * 2)


@contextlib.contextmanager
def trusted_limits(limits=TrustedLimits()):
    """Yield a `Confinement` for one trusted process under `limits`; clean up after."""
    support, group = isolation.cgroup_support(), None
    if support.version:
        cgroups.sweep_stale(support, "trusted-")
        try:
            group = cgroups.Group(support, f"trusted-{os.getpid()}-{next(_names)}",
                                  memory_bytes=limits.memory_bytes, pids=limits.pids, cpus=limits.cpus)
        except (OSError, cgroups.CgroupError) as exc:
            print(f"WARNING (autograder.sandbox): no cgroup for the trusted process ({exc}); "
                  "limiting its address space only", file=sys.stderr)
    try:
        yield Confinement(limits, group)
    finally:
        if group is not None:
            group.remove()
