#!/usr/bin/env python3
"""Kill loop for incremental sweeps (`shellsweep scan --state`); not run in CI.

A writer process appends lines to a few access logs (attack lines that a bundled rule finds,
each with a unique marker in its query string, among ordinary ones; some written in two
parts with a pause between), and rotates them at random in every logrotate mode: rename and
create, copytruncate, each optionally followed by compression to .gz. Every new log starts
with the same health-check lines (more than a KiB), so logs that start alike are exercised
too. Meanwhile sweeps run one after another, and about half of them are killed with SIGKILL
at a random moment. At the end, with the writer stopped, a few sweeps run to completion.

Every attack line written must have been reported at least once; a line reported more than
once is a failure unless a killed sweep reported it (the kill forced the re-read). The
figures are printed; the exit code is 1 when a line was lost or reported twice without a kill
to explain it.

    python3 scripts/kill-loop.py --bin target/release/shellsweep --sweeps 200
"""

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

LOGS = ["site1/access.log", "site2/access.log", "site3/access.log"]


def stamp(t=None):
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))


def line(query, t=None):
    return (
        f'198.51.100.7 - - [{stamp(t)}] "GET /x.php?{query} HTTP/1.1" 200 30 "-" "curl/8"\n'
    )


# The same first lines in every log (fixed time): more than the first KiB alike.
HEALTH = "".join(
    f'10.0.0.1 - - [19/Jul/2025:00:00:00 +0000] "GET /healthz?n={i} HTTP/1.1" 200 2 "-" "kube-probe/1.30"\n'
    for i in range(12)
)


def writer(root, ledger_path, seed, stop_file):
    """Appends lines and rotates logs until `stop_file` exists. Markers of attack lines are
    recorded in the ledger once the whole line is written."""
    rnd = random.Random(seed)
    seq = 0
    n = 0
    ledger = open(ledger_path, "a", buffering=1)
    for rel in LOGS:
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "a") as f:
            f.write(HEALTH)
    next_rotation = time.monotonic() + rnd.uniform(0.2, 1.0)
    rotations = {}
    while not os.path.exists(stop_file):
        rel = rnd.choice(LOGS)
        p = os.path.join(root, rel)
        if rnd.random() < 0.5:
            n += 1
            marker = f"K{seed}x{n}"
            text = line(f"cmd=whoami&m={marker}")
        else:
            text = line(f"page={rnd.randrange(10**6)}")
            marker = None
        # Opened by name for every line (as a logger that reopens after rotation), in
        # append mode (so a copytruncate is followed).
        with open(p, "a") as f:
            if rnd.random() < 0.1:
                cut = rnd.randrange(1, len(text) - 1)
                f.write(text[:cut])
                f.flush()
                # Shorter than the pause between sweeps: a line seen unfinished by two
                # sweeps in a row is taken as finished (the writer stopped), by design.
                time.sleep(rnd.uniform(0.0, 0.02))
                f.write(text[cut:])
            else:
                f.write(text)
        if marker:
            ledger.write(marker + "\n")
        time.sleep(rnd.uniform(0.0, 0.004))
        if time.monotonic() >= next_rotation:
            next_rotation = time.monotonic() + rnd.uniform(0.2, 1.5)
            rel = rnd.choice(LOGS)
            p = os.path.join(root, rel)
            seq += 1
            old = f"{p}-{seq}"
            mode = rnd.choice(["rename", "copytruncate"])
            if mode == "rename":
                os.rename(p, old)
                with open(p, "a") as f:
                    f.write(HEALTH)
            else:
                shutil.copyfile(p, old)
                with open(p, "r+") as f:
                    f.truncate(0)
                with open(p, "a") as f:
                    f.write(HEALTH)
            if rnd.random() < 0.5:
                mode += "+gz"
                with open(old, "rb") as src, gzip.open(old + ".gz", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                os.remove(old)
            rotations[mode] = rotations.get(mode, 0) + 1
    with open(os.path.join(os.path.dirname(ledger_path), "rotations.json"), "w") as f:
        json.dump(rotations, f)


def sweep(binary, state, root, out_path, kill_after):
    """One sweep; killed with SIGKILL after `kill_after` seconds if given. Returns whether it
    was killed and the markers it reported."""
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            [binary, "scan", "--format", "jsonl", "-q", "--state", state, root],
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        killed = False
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = True
        if not killed and proc.returncode not in (0, 1):
            sys.exit(f"sweep failed with exit code {proc.returncode}: {out_path}")
    markers = []
    with open(out_path, "rb") as f:
        for raw in f:
            try:
                doc = json.loads(raw)
            except ValueError:
                continue  # a line torn by the kill
            if doc.get("rule", {}).get("id") != "SSW-LOG-WEBSHELL-001":
                continue
            q = doc.get("url", {}).get("query", "")
            if "m=" in q:
                markers.append(q.rsplit("m=", 1)[1])
    return killed, markers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/release/shellsweep")
    ap.add_argument("--sweeps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--role", default="main", help=argparse.SUPPRESS)
    ap.add_argument("--root", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.role == "writer":
        work = os.path.dirname(args.root)
        writer(args.root, os.path.join(work, "ledger.txt"), args.seed,
               os.path.join(work, "stop"))
        return 0

    binary = os.path.abspath(args.bin)
    work = tempfile.mkdtemp(prefix="kill-loop-")
    root = os.path.join(work, "logs")
    state = os.path.join(work, "state.json")
    outs = os.path.join(work, "out")
    os.makedirs(outs)
    rnd = random.Random(args.seed)
    w = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--role", "writer",
                          "--root", root, "--seed", str(args.seed)])
    time.sleep(0.5)
    reports = {}  # marker -> [reports by completed sweeps, by killed sweeps]
    kills = 0
    durations = []
    try:
        for k in range(args.sweeps):
            # A few whole sweeps first, to learn how long one takes; then kills at random
            # moments over that span (some land after the end: those sweeps complete).
            typical = sorted(durations)[len(durations) // 2] if durations else None
            kill_after = None
            if typical is not None and k >= 3 and rnd.random() < 0.5:
                kill_after = rnd.uniform(0.0, typical * 1.1)
            t0 = time.monotonic()
            killed, markers = sweep(binary, state, root, os.path.join(outs, f"{k}.jsonl"),
                                    kill_after)
            if killed:
                kills += 1
            else:
                durations.append(time.monotonic() - t0)
            for m in markers:
                reports.setdefault(m, [0, 0])[1 if killed else 0] += 1
            time.sleep(rnd.uniform(0.05, 0.2))
    finally:
        open(os.path.join(work, "stop"), "w").close()
        w.wait()
    # The writer has stopped: held lines are reported by the second sweep that sees them
    # unchanged.
    for k in range(args.sweeps, args.sweeps + 3):
        _, markers = sweep(binary, state, root, os.path.join(outs, f"{k}.jsonl"), None)
        for m in markers:
            reports.setdefault(m, [0, 0])[0] += 1
    with open(os.path.join(work, "ledger.txt")) as f:
        written = [l.strip() for l in f if l.strip()]
    with open(os.path.join(work, "rotations.json")) as f:
        rotations = json.load(f)
    lost = [m for m in written if m not in reports]
    twice_after_kill = [m for m, (done, by_killed) in reports.items()
                        if done + by_killed > 1 and done <= 1]
    twice_unexplained = [m for m, (done, _) in reports.items() if done > 1]
    unknown = [m for m in reports if m not in set(written)]
    figures = {
        "seed": args.seed,
        "sweeps": args.sweeps + 3,
        "killed": kills,
        "rotations": rotations,
        "attack_lines_written": len(written),
        "reported_at_least_once": len(written) - len(lost),
        "lost": len(lost),
        "reported_again_after_a_kill": len(twice_after_kill),
        "reported_twice_without_a_kill": len(twice_unexplained),
        "reported_but_not_written": len(unknown),
        "bytes_in_logs": sum(os.path.getsize(os.path.join(d, f))
                             for d, _, fs in os.walk(root) for f in fs),
    }
    print(json.dumps(figures, indent=2))
    bad = lost or twice_unexplained or unknown
    if bad:
        print("lost:", lost[:20], "twice without a kill:", twice_unexplained[:20],
              "not written:", unknown[:20], file=sys.stderr)
    if args.keep or bad:
        print("work folder kept:", work, file=sys.stderr)
    else:
        shutil.rmtree(work)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
