#!/usr/bin/env bash
# Runs contrib/ansible/sweep.yml for real, with ansible-core from a pinned venv, against
# three inventory hosts that are all this machine (connection local), each sweeping its own
# copy of the fixtures; then checks what the controller received:
#   web-linux       fixtures/webroot + fixtures/logs with the ToolShell IOC list and --hunt:
#                   every row of fixtures/expected.tsv and fixtures/logs-expected.tsv is
#                   found (path and rule id)
#   web-incident    fixtures/incident with an IOC list, a rules folder, an allowlist, a
#                   baseline and --min-severity medium: the ToolShell drop, the IOC hits and
#                   the correlation, a planted canary by the rule and the baseline, its
#                   allowed twin silenced; a missing path skipped
#   web-incomplete  a file over --max-filesize and nothing found: exit 2, so the host
#                   fails, but only after its JSON lines were fetched and reported, and
#                   alone in the first batch (serial [1, 2]) without stopping the others
# every fetched line is a JSON object, the summary is the last line of each file, the report
# page exists; a second sweep of web-linux reuses its state (carried-over findings) and the
# fetched file holds that run alone. Nothing is written inside the repository.
#
#   scripts/ansible-test.sh                     # uses target/debug/shellsweep (built if absent)
#   SHELLSWEEP_BIN=target/release/shellsweep scripts/ansible-test.sh
#
# The venv (target/ansible-venv, or $SHELLSWEEP_ANSIBLE_VENV) is kept and reused.
# Windows hosts cannot be swept here: windows.yml is checked as YAML and for module names
# (and with --syntax-check when the ansible.windows collection is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
started=$(date +%s)

ANSIBLE_CORE_VERSION=2.19.14
VENV=${SHELLSWEEP_ANSIBLE_VENV:-$ROOT/target/ansible-venv}
BIN=${SHELLSWEEP_BIN:-$ROOT/target/debug/shellsweep}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac

if [ ! -x "$BIN" ]; then
    if [ -n "${SHELLSWEEP_BIN:-}" ]; then
        echo "error: SHELLSWEEP_BIN=$SHELLSWEEP_BIN is not an executable" >&2
        exit 1
    fi
    echo "== building $BIN (cargo build --no-default-features)"
    cargo build --locked --no-default-features
fi

echo "== ansible-core $ANSIBLE_CORE_VERSION in $VENV"
have=$("$VENV/bin/ansible-playbook" --version 2>/dev/null || true)
if [[ $have != *"core $ANSIBLE_CORE_VERSION]"* ]]; then
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian ships venv apart from python3.
        rm -rf "$VENV"
        if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "ansible-core==$ANSIBLE_CORE_VERSION"
fi
"$VENV/bin/ansible-playbook" --version | sed -n 1p

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shellsweep-ansible.XXXXXX")
# SHELLSWEEP_ANSIBLE_KEEP=1 keeps the work folder (results, logs, inventory) to look at.
if [ -n "${SHELLSWEEP_ANSIBLE_KEEP:-}" ]; then
    trap 'echo "work folder kept: $WORK"' EXIT
else
    trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/fixtures" "$WORK/fixtures/benign"
cp -r fixtures/webroot fixtures/logs fixtures/incident "$WORK/fixtures/"
cp -r fixtures/benign/aspnet "$WORK/fixtures/benign/"

# web-incident also gets a rules folder, an allowlist and a baseline, each copied by the role
# and passed to the scan: the baseline is taken before two canary scripts are planted, the
# site rule finds the canary, the allowlist silences the second one.
mkdir -p "$WORK/lists/site-rules"
cat > "$WORK/lists/site-rules/site.yml" <<'RULES'
ruleset: site
rules:
  - id: SSW-SITE-001
    name: Ansible test canary
    severity: high
    description: A marker planted by scripts/ansible-test.sh.
    author: shellsweep project
    files:
      extensions: [php]
    patterns:
      marker: ansible-canary-7f3e
    condition: marker
RULES
cat > "$WORK/lists/allow.yml" <<'ALLOW'
allow:
  - path: "**/canary-allowed.php"
    reason: planted by scripts/ansible-test.sh to be silenced
ALLOW
"$BIN" baseline create "$WORK/fixtures/incident/webroot" -o "$WORK/lists/baseline.json" 2>/dev/null
CANARY_DIR="$WORK/fixtures/incident/webroot/inetpub/wwwroot"
echo '<?php // ansible-canary-7f3e' > "$CANARY_DIR/canary.php"
cp "$CANARY_DIR/canary.php" "$CANARY_DIR/canary-allowed.php"

cat > "$WORK/inventory.yml" <<EOF
webservers:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    # Each host is this machine: give each its own folders instead of /usr/local/bin,
    # /etc/shellsweep, /var/lib/shellsweep and /var/log/shellsweep.
    shellsweep_bin_dir: "$WORK/hosts/{{ inventory_hostname }}/bin"
    shellsweep_conf_dir: "$WORK/hosts/{{ inventory_hostname }}/etc"
    shellsweep_state_dir: "$WORK/hosts/{{ inventory_hostname }}/state"
    shellsweep_log_dir: "$WORK/hosts/{{ inventory_hostname }}/log"
  hosts:
    web-incomplete:
      shellsweep_paths: ["$WORK/fixtures/benign/aspnet"]
      shellsweep_min_severity: medium
      shellsweep_extra_args: ["--max-filesize", "1K"]
    web-linux:
      shellsweep_paths: ["$WORK/fixtures/webroot", "$WORK/fixtures/logs"]
      # As tests/logs.rs scans the logs: logs-expected.tsv has IOC and hunting rows.
      shellsweep_ioc_files: ["$ROOT/fixtures/iocs/toolshell.txt"]
      shellsweep_extra_args: ["--hunt"]
    web-incident:
      shellsweep_paths:
        - "$WORK/fixtures/incident/webroot"
        - "$WORK/fixtures/incident/logs"
        - "$WORK/fixtures/incident/not-there"
      shellsweep_ioc_files: ["$ROOT/fixtures/iocs/toolshell.txt"]
      shellsweep_rules: ["$WORK/lists/site-rules/"]
      shellsweep_allow_files: ["$WORK/lists/allow.yml"]
      shellsweep_baseline_file: "$WORK/lists/baseline.json"
      shellsweep_min_severity: medium
      shellsweep_extra_args: ["--hash"]
EOF

export ANSIBLE_HOME="$WORK/ansible-home" ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp" \
    ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_DEPRECATION_WARNINGS=0
PLAYBOOK=(
    "$VENV/bin/ansible-playbook" -i "$WORK/inventory.yml" contrib/ansible/sweep.yml
    -e "shellsweep_binary_src=$BIN" -e "shellsweep_report_bin=$BIN"
    -e "shellsweep_results_dir=$WORK/results"
)

echo "== syntax check"
"${PLAYBOOK[@]}" --syntax-check
"$VENV/bin/python" - contrib/ansible/roles/shellsweep/tasks <<'EOF'
# Dynamic includes are not parsed by --syntax-check: load every task file as YAML, and
# check that Linux files use ansible.builtin only and windows.yml names modules fully.
import pathlib, sys, yaml
KEYS = {"name", "when", "loop", "loop_control", "register", "vars", "delegate_to", "become",
        "run_once", "changed_when", "failed_when", "notify", "block", "args", "tags"}
def modules(tasks):
    for t in tasks:
        if "block" in t:
            yield from modules(t["block"])
        mods = [k for k in t if k not in KEYS]
        assert len(mods) <= 1, f"more than one module in {t.get('name')}: {mods}"
        yield from mods
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.yml")):
    mods = set(modules(yaml.safe_load(f.read_text()) or []))
    allowed = ("ansible.builtin.", "ansible.windows.") if f.name == "windows.yml" else ("ansible.builtin.",)
    bad = [m for m in mods if not m.startswith(allowed)]
    assert not bad, f"{f}: {bad}"
    print(f"{f.name}: {len(mods)} modules: {', '.join(sorted(mods))}")
EOF
collections=$("$VENV/bin/ansible-galaxy" collection list ansible.windows 2>/dev/null || true)
if grep -q '^ansible\.windows ' <<<"$collections"; then
    printf -- '- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.import_tasks: %s\n' \
        "$ROOT/contrib/ansible/roles/shellsweep/tasks/windows.yml" > "$WORK/windows-check.yml"
    "$VENV/bin/ansible-playbook" -i localhost, --syntax-check "$WORK/windows-check.yml"
else
    echo "(ansible.windows not installed: windows.yml not syntax-checked with its modules)"
fi

echo "== sweep (three hosts; web-incomplete alone in the first batch)"
set +e
"${PLAYBOOK[@]}" -e '{"shellsweep_serial": [1, 2]}' 2>&1 | tee "$WORK/run1.log"
rc=${PIPESTATUS[0]}
set -e
# web-incomplete fails on purpose (exit code 2 of the scan): ansible-playbook exits 2.
[ "$rc" -eq 2 ] || { echo "error: ansible-playbook exited $rc, expected 2 (one host failed)" >&2; exit 1; }

# The second sweep replaces web-linux's results: keep the first's for the checks.
cp -r "$WORK/results" "$WORK/results-1"

echo "== sweep again (web-linux: state reused)"
"${PLAYBOOK[@]}" --limit web-linux > "$WORK/run2.log" 2>&1 || {
    cat "$WORK/run2.log"
    echo "error: the second sweep failed" >&2
    exit 1
}

echo "== checks"
"$VENV/bin/python" - "$WORK" <<'EOF'
import csv, json, pathlib, re, sys

work = pathlib.Path(sys.argv[1])
results = work / "results"
fixtures = pathlib.Path("fixtures")
failures = []

def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)

def lines(host, folder=work / "results-1"):
    out = []
    path = folder / host / "shellsweep.jsonl"
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        value = json.loads(line)  # raises on a line that is not JSON
        if not isinstance(value, dict):
            raise SystemExit(f"{path}:{n}: not a JSON object")
        out.append(value)
    return out

def dataset(d):
    return d.get("event", {}).get("dataset")

def rel(p):
    # The hosts swept copies under the work folder: name them as in the .tsv files.
    return p[len(str(work)) + 1:] if p and p.startswith(str(work) + "/") else p

def found(docs):
    return {(rel(d.get("file", {}).get("path") or d.get("log", {}).get("file", {}).get("path")),
             d["rule"]["id"]) for d in docs if d.get("event", {}).get("kind") == "alert"}

def expected(tsv):
    with open(fixtures / tsv, newline="") as f:
        return {(r["path"], r["rule_id"]) for r in csv.DictReader(f, delimiter="\t")}

runs = {}
for host in ("web-linux", "web-incident", "web-incomplete"):
    docs = lines(host)
    runs[host] = docs
    summaries = [i for i, d in enumerate(docs) if dataset(d) == "shellsweep.summary"]
    check(summaries == [len(docs) - 1],
          f"{host}: {len(docs)} JSON lines, one summary, and it is the last line")

linux = runs["web-linux"]
got = found(linux)
for path, rule in [
    ("fixtures/webroot/inetpub/wwwroot/App_Themes/agent.aspx", "SSW-ASPNET-002"),
    ("fixtures/webroot/var/www/html/wp-content/plugins/hello-cache/cache.php", "SSW-WEBSHELL-003"),
    ("fixtures/webroot/var/www/html/upload/shell_2021.php", "SSW-PHPFAM-007"),
    ("fixtures/webroot/inetpub/wwwroot/aspnet_client/tunnel.ashx", "SSW-TUNNEL-001"),
]:
    check((path, rule) in got, f"web-linux: {rule} on {path}")
missing = (expected("expected.tsv") | expected("logs-expected.tsv")) - got
check(not missing, f"web-linux: every row of expected.tsv and logs-expected.tsv found "
      f"({len(missing)} missing: {sorted(missing)[:5]})")
s = linux[-1]["shellsweep"]["summary"]
check(s["complete"] is True and s["errors"] == 0, "web-linux: the sweep was complete")

incident = runs["web-incident"]
rules = {d["rule"]["id"] for d in incident if "rule" in d}
check({"SSW-TOOLSHELL-001", "SSW-IOC-IP", "SSW-CORR-REQUESTED"} <= rules,
      f"web-incident: ToolShell drop, IOC hit and correlation ({sorted(rules)})")
check(any(d.get("event", {}).get("reason") == "missing" for d in incident),
      "web-incident: the missing path is an event line (--skip-missing)")
check(all(d["event"]["severity"] >= 47 for d in incident if d["event"]["kind"] == "alert"),
      "web-incident: nothing below medium (shellsweep_min_severity)")
check(any("md5" in d.get("file", {}).get("hash", {}) for d in incident),
      "web-incident: extra args reach the scan (--hash)")

canary = "fixtures/incident/webroot/inetpub/wwwroot/canary.php"
got = found(incident)
check((canary, "SSW-SITE-001") in got, "web-incident: the rules folder reaches the scan (--rules)")
check((canary, "SSW-BASELINE-NEW") in got, "web-incident: the baseline reaches the scan (--baseline)")
check(not any(p.endswith("canary-allowed.php") for p, _ in got)
      and incident[-1]["shellsweep"]["summary"]["findings_allowed"] > 0,
      "web-incident: the allowlist reaches the scan (--allow)")

incomplete = runs["web-incomplete"][-1]["shellsweep"]["summary"]
check(incomplete["complete"] is False and incomplete["files_skipped"].get("too_large", 0) > 0,
      "web-incomplete: summary says incomplete (too_large)")

log1 = (work / "run1.log").read_text()
recap = dict(re.findall(r"^(web-\S+)\s+:\s+(.*)$", log1, re.M))
check("failed=0" in recap.get("web-linux", "") and "failed=0" in recap.get("web-incident", ""),
      "recap: web-linux and web-incident succeeded")
check("failed=1" in recap.get("web-incomplete", ""), "recap: web-incomplete failed (exit code 2)")
check("shellsweep exited 2 on web-incomplete" in log1, "the failure says why")
report_task = "TASK [shellsweep : Write the report]"
check(log1.count("TASK [shellsweep : Run shellsweep scan]") == 2  # one per batch
      and log1.count(report_task) == 1
      and log1.index(report_task) > log1.rindex("TASK [shellsweep : Run shellsweep scan]"),
      "two batches, and the report is written once, after both")

report = work / "results-1" / "report.html"
html = report.read_text(encoding="utf-8") if report.is_file() else ""
check(len(html) > 1000, f"report written ({len(html)} bytes)")
check("agent.aspx" in html and "spinstall0.aspx" in html,
      "report holds findings of web-linux and web-incident")

again = lines("web-linux", results)
check(sum(dataset(d) == "shellsweep.summary" for d in again) == 1,
      "second sweep: the fetched file holds that run alone")
carried = sum(1 for d in again if d.get("shellsweep", {}).get("carried_over") is True)
check(carried > 0 and again[-1]["shellsweep"]["summary"]["files_unchanged"] > 0,
      f"second sweep: state reused ({carried} findings carried over)")
check(found(again) >= expected("expected.tsv"), "second sweep: every file finding reported again")

if failures:
    raise SystemExit(f"{len(failures)} check(s) failed")
EOF
echo "== scripts/ansible-test.sh passed in $(( $(date +%s) - started )) s"
