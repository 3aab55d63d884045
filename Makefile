# Release artefacts. `cargo build --release` stays the way to build shellsweep; this file adds
# the static Linux builds, the Windows build, the .deb, and the man page and completions
# (made by the binary itself: `shellsweep generate`). See "Release builds" in README.md.
#
# Tools (Debian 12), each needed only by the targets named:
#   musl:     rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl
#             apt-get install gcc-aarch64-linux-gnu     (the aarch64 linker)
#             apt-get install musl-tools                (musl-gcc: C code of YARA's deps)
#   windows:  rustup target add x86_64-pc-windows-gnu
#             apt-get install gcc-mingw-w64-x86-64      (the linker and its C runtime)
#   deb:      cargo install cargo-deb --locked --version 3.8.0
#   checks:   apt-get install file                      (musl: the binaries must be static)
#   optional: apt-get install qemu-user                 (run the aarch64 build here)
#
# FEATURES: cargo feature flags for every build. Default: the default features, YARA
# included (a release build of yara-x takes ~17 min on 2 cores); `make musl
# FEATURES=--no-default-features` builds without YARA in a few minutes.

CARGO ?= cargo
FEATURES ?=
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# The binary that writes the man page and completions; CI points it at its debug build
# (`make assets BIN=target/debug/shellsweep BUILD=`), which skips the release build.
BIN ?= target/release/shellsweep
BUILD ?= release
ASSETS := target/assets
DIST := dist

MUSL_X86 := x86_64-unknown-linux-musl
MUSL_ARM := aarch64-unknown-linux-musl
WINDOWS := x86_64-pc-windows-gnu
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER ?= aarch64-linux-gnu-gcc
# The C compiler for the few C files of dependencies (YARA: wasmtime's helpers.c); cc-rs
# looks for x86_64-linux-musl-gcc, which Debian calls musl-gcc. There is no Debian musl
# cross compiler for aarch64: its YARA build uses the glibc cross gcc (not tried here).
export CC_x86_64_unknown_linux_musl ?= musl-gcc
export CC_aarch64_unknown_linux_musl ?= aarch64-linux-gnu-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER ?= x86_64-w64-mingw32-gcc

# A binary is static when `file` says so (static-pie or plain static); a dynamic one fails.
check_static = file -L $(1) | tee /dev/stderr | grep -Eq 'static-pie linked|statically linked'

.PHONY: release musl musl-x86_64 musl-aarch64 windows deb dist man completions assets clean-dist

release:
	$(CARGO) build --release --locked $(FEATURES)

musl: musl-x86_64 musl-aarch64

musl-x86_64:
	$(CARGO) build --release --locked $(FEATURES) --target $(MUSL_X86)
	$(call check_static,target/$(MUSL_X86)/release/shellsweep)

musl-aarch64:
	$(CARGO) build --release --locked $(FEATURES) --target $(MUSL_ARM)
	$(call check_static,target/$(MUSL_ARM)/release/shellsweep)

windows:
	$(CARGO) build --release --locked $(FEATURES) --target $(WINDOWS)
	file target/$(WINDOWS)/release/shellsweep.exe | grep -q 'PE32+ executable'

man: $(BUILD)
	mkdir -p $(ASSETS)
	$(BIN) generate man > $(ASSETS)/shellsweep.1.tmp
	mv $(ASSETS)/shellsweep.1.tmp $(ASSETS)/shellsweep.1
	gzip -9nf -k $(ASSETS)/shellsweep.1

completions: $(BUILD)
	mkdir -p $(ASSETS)/completions
	$(BIN) generate complete-bash > $(ASSETS)/completions/shellsweep.bash
	$(BIN) generate complete-zsh > $(ASSETS)/completions/_shellsweep
	$(BIN) generate complete-fish > $(ASSETS)/completions/shellsweep.fish
	$(BIN) generate complete-powershell > $(ASSETS)/completions/shellsweep.ps1

# Everything the .deb takes from target/assets: man page, completions, and the systemd units
# with the packaged binary's path (contrib/ keeps /usr/local/bin for a manual install).
assets: man completions
	mkdir -p $(ASSETS)/systemd $(ASSETS)/maintainer-scripts
	sed 's|/usr/local/bin/shellsweep|/usr/bin/shellsweep|g' contrib/systemd/shellsweep-sweep.service \
		> $(ASSETS)/systemd/shellsweep-sweep.service
	cp contrib/systemd/shellsweep-sweep.timer $(ASSETS)/systemd/
	! grep -q /usr/local/bin $(ASSETS)/systemd/shellsweep-sweep.service

# The host's (glibc) release build, packaged, stripped (the release profile keeps line tables
# for profiling). --no-build: `release` built it with FEATURES.
deb: release assets
	$(CARGO) deb --no-build --locked --strip

# The binaries are stripped on the way (the release profile keeps line tables for profiling;
# each binutils comes with its target's gcc package).
dist: musl windows deb
	mkdir -p $(DIST)
	strip -o $(DIST)/shellsweep-$(MUSL_X86) target/$(MUSL_X86)/release/shellsweep
	aarch64-linux-gnu-strip -o $(DIST)/shellsweep-$(MUSL_ARM) target/$(MUSL_ARM)/release/shellsweep
	x86_64-w64-mingw32-strip -o $(DIST)/shellsweep-$(WINDOWS).exe target/$(WINDOWS)/release/shellsweep.exe
	cp target/debian/shellsweep_$(VERSION)-1_*.deb $(DIST)/
	cd $(DIST) && rm -f SHA256SUMS && sha256sum shellsweep* > SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS
	cat $(DIST)/SHA256SUMS

clean-dist:
	rm -rf $(DIST) $(ASSETS) target/debian
