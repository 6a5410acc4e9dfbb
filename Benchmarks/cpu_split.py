#!/usr/bin/env python3
"""Where a benchmark's CPU went, process by process — a reading a busy machine barely moves.

    cpu_split.py snapshot FILE NAME=PID[,PID…] …   record each group's CPU seconds so far
    cpu_split.py report FILE UNITS WHAT NAME=PID[,PID…] …
                                                  print each group's CPU since the snapshot, in
                                                  all and per unit ("per redemption")

A group is the named processes and every descendant of theirs (but another group's), living or ended: an ended child's
time is in its parent's cutime/cstime (PostgreSQL's backends are children of the postmaster,
RabbitMQ's schedulers are threads of beam). Wall-clock rates move by half when another job
shares the two cores; CPU time per unit of work moves much less, which is what tells whether a
change made the work cheaper.
"""
import json
import os
import sys

TICKS = os.sysconf("SC_CLK_TCK")


def children():
    kids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(fields[1]), []).append(int(entry))
    return kids


def cpu_seconds(pid, kids, others=frozenset()):
    """The process's user + system time, its waited-for children's, and its living descendants'
    but those of `others` (another group's processes, which a bench script also started)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    total = (utime + stime + cutime + cstime) / TICKS
    for child in kids.get(pid, []):
        if child not in others:
            total += cpu_seconds(child, kids, others)
    return total


def groups(specs):
    kids = children()
    named = [(name, [int(p) for p in pids.split(",") if p]) for name, pids in (spec.split("=", 1) for spec in specs)]
    every = {p for _, pids in named for p in pids}
    return {name: sum(cpu_seconds(p, kids, every - {p}) for p in pids) for name, pids in named}


def main():
    command, path = sys.argv[1], sys.argv[2]
    if command == "snapshot":
        with open(path, "w") as f:
            json.dump(groups(sys.argv[3:]), f)
        return
    units, what = float(sys.argv[3]), sys.argv[4]
    with open(path) as f:
        before = json.load(f)
    after = groups(sys.argv[5:])
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    total = sum(spent.values())
    parts = ", ".join("%s %.0f ms (%.3f ms per %s)" % (name, s * 1000, s * 1000 / units, what) for name, s in spent.items())
    print("    CPU: %s; in all %.3f ms per %s" % (parts, total * 1000 / units, what))


if __name__ == "__main__":
    main()
