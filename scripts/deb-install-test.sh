#!/usr/bin/env bash
# Builds the .deb with cargo-deb from a binary that is already built, installs it, checks what
# it put where, then removes and purges it and checks that nothing is left. CI runs it after
# `cargo test`, packaging that run's debug binary (a release build with YARA would not fit
# CI's time); the assets come from the same Makefile rules as `make deb`.
#
#     scripts/deb-install-test.sh            # package target/debug/shellsweep
#     scripts/deb-install-test.sh release    # package target/release/shellsweep
#
# Needs root (dpkg -i) and installs what it lacks: man-db (`man -w`), make, file, cargo-deb.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-dev}"
case "$profile" in
    dev) bin=target/debug/shellsweep ;;
    release) bin=target/release/shellsweep ;;
    *) echo "usage: $0 [dev|release]" >&2; exit 2 ;;
esac
CARGO_DEB_VERSION=3.8.0
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
start=$SECONDS

fail() { echo "deb-install-test: $*" >&2; exit 1; }
step() { echo "-- $* ($((SECONDS - start)) s)"; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
[ -x "$bin" ] || fail "$bin is not built (run cargo build or cargo test first)"

missing=()
command -v man >/dev/null 2>&1 || missing+=(man-db)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v file >/dev/null 2>&1 || missing+=(file)
if [ ${#missing[@]} -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
if ! cargo deb --version 2>/dev/null | grep -qF "$CARGO_DEB_VERSION"; then
    step "cargo install cargo-deb $CARGO_DEB_VERSION"
    cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION"
fi

step "assets from $bin"
make --no-print-directory assets BIN="$bin" BUILD=

step "cargo deb --no-build --profile $profile"
out=target/debian-test
rm -rf "$out"
# --strip: the debug binary carries its debug info otherwise; --fast: CI's time, not size.
cargo deb --no-build --locked --profile "$profile" --strip --fast -o "$out/" >/dev/null
deb="$(ls "$out"/shellsweep_"$version"-1_*.deb)"
ls -l "$deb"

step "contents"
listing="$(dpkg-deb -c "$deb" | awk '{print $6}')"
for path in ./usr/bin/shellsweep \
    ./usr/share/man/man1/shellsweep.1.gz \
    ./usr/share/bash-completion/completions/shellsweep \
    ./usr/share/zsh/vendor-completions/_shellsweep \
    ./usr/share/fish/vendor_completions.d/shellsweep.fish \
    ./usr/lib/systemd/system/shellsweep-sweep.service \
    ./usr/lib/systemd/system/shellsweep-sweep.timer \
    ./etc/default/shellsweep \
    ./etc/logrotate.d/shellsweep \
    ./usr/share/doc/shellsweep/copyright; do
    grep -qxF "$path" <<<"$listing" || fail "the package lacks $path: $listing"
done
[ "$(dpkg-deb -f "$deb" Section)" = admin ] || fail "Section is not admin"
control="$(dpkg-deb --ctrl-tarfile "$deb" | tar -tf -)"
for script in ./postinst ./prerm ./postrm; do
    grep -qxF "$script" <<<"$control" || fail "no $script (systemd's bookkeeping): $control"
done
if dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./postinst | grep -E 'deb-systemd-invoke (start|restart)|systemctl (enable|start)'; then
    fail "the postinst enables or starts a unit"
fi
conffiles="$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)"
grep -qxF /etc/default/shellsweep <<<"$conffiles" || fail "conffiles: $conffiles"
[ "$(grep -c . <<<"$conffiles")" -eq "$(sort -u <<<"$conffiles" | grep -c .)" ] || fail "conffiles listed twice: $conffiles"

# A shellsweep left installed by an earlier run would hide what this one installs.
if dpkg -s shellsweep >/dev/null 2>&1; then $SUDO dpkg -P shellsweep; fi

step "dpkg -i"
$SUDO dpkg -i "$deb"
trap '$SUDO dpkg -P shellsweep >/dev/null 2>&1 || true' EXIT
[ "$(command -v shellsweep)" = /usr/bin/shellsweep ] || fail "shellsweep is not /usr/bin/shellsweep"
got="$(shellsweep --version)"
[ "$got" = "shellsweep $version" ] || fail "--version says '$got'"
page="$(man -w shellsweep)"
[ "$page" = /usr/share/man/man1/shellsweep.1.gz ] || fail "man -w shellsweep: $page"
man shellsweep 2>/dev/null | grep -q 'SHELLSWEEP SCAN' || fail "man shellsweep does not show the scan section"
bash --norc -c 'source /usr/share/bash-completion/completions/shellsweep && complete -p shellsweep' \
    | grep -q _shellsweep || fail "the bash completion does not register"
grep -q '^ExecStart=/usr/bin/shellsweep scan ' /usr/lib/systemd/system/shellsweep-sweep.service \
    || fail "the packaged unit does not run /usr/bin/shellsweep"
[ ! -e /etc/systemd/system/timers.target.wants/shellsweep-sweep.timer ] \
    || fail "the timer was enabled on install"
set +e
shellsweep scan -q fixtures/ >/dev/null
code=$?
set -e
[ "$code" -eq 1 ] || fail "the installed binary's scan of fixtures/ exited $code, not 1 (findings)"

step "dpkg -r (conffiles stay)"
$SUDO dpkg -r shellsweep
for path in /usr/bin/shellsweep /usr/share/man/man1/shellsweep.1.gz \
    /usr/share/bash-completion/completions/shellsweep /usr/lib/systemd/system/shellsweep-sweep.timer; do
    [ ! -e "$path" ] || fail "$path is left after dpkg -r"
done
[ -e /etc/default/shellsweep ] || fail "dpkg -r removed the conffile"
dpkg -s shellsweep 2>/dev/null | grep -q '^Status: deinstall ok config-files' || fail "status after dpkg -r"

step "dpkg -P"
$SUDO dpkg -P shellsweep
[ ! -e /etc/default/shellsweep ] || fail "/etc/default/shellsweep is left after dpkg -P"
[ ! -e /etc/logrotate.d/shellsweep ] || fail "/etc/logrotate.d/shellsweep is left after dpkg -P"
if dpkg -s shellsweep >/dev/null 2>&1; then fail "dpkg still knows shellsweep after dpkg -P"; fi
trap - EXIT

step "passed"
