"""CPU seconds of live processes from /proc, summed by role (the benches' CPU columns)."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(sessions: dict[int, str], roots: dict[int, str]) -> dict[str, float]:
    """CPU seconds (user + system) so far of every live process, summed by role: `sessions`
    maps a session id to its role, `roots` a process whose tree is one role; the API is
    this process's `services.api.server` child."""
    ticks = os.sysconf("SC_CLK_TCK")
    processes: dict[int, tuple[int, int, float, bytes]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # Its own time and its ended children's (a PostgreSQL backend that closed meanwhile).
        cpu = sum(int(f) for f in fields[11:15]) / ticks
        processes[int(proc.name)] = (int(fields[1]), int(fields[3]), cpu, cmdline)
    totals: dict[str, float] = {}
    for pid, (ppid, session, cpu, cmdline) in processes.items():
        role = sessions.get(session) or roots.get(pid) or roots.get(ppid)
        if role is None and ppid == os.getpid() and b"services.api.server" in cmdline:
            role = "api"
        if role is not None:
            totals[role] = totals.get(role, 0.0) + cpu
    return totals
