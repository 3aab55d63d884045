//! SIGTERM, SIGINT and SIGHUP during a scan: a stop from systemd, a Ctrl-C or a closed
//! terminal ends the run cleanly (the walk stops, what was found is written with a summary
//! marked `interrupted`, the state is not saved) instead of killing it mid-line or mid-save.
//!
//! The signals are blocked in every thread and taken by one thread with `sigwait`, so no
//! code runs in a signal handler and no system call of a scanning thread is cut short. A
//! second signal ends the process at once, but never in the middle of a state save (see
//! [`critical`]): that one completes first.

use std::sync::{Mutex, MutexGuard};

/// Held while something must not be cut short by a second signal (the state save: its
/// temporary file is renamed or removed before the process may end).
static CRITICAL: Mutex<()> = Mutex::new(());

/// Holds off the forced exit of a second signal while the guard lives.
pub(crate) fn critical() -> MutexGuard<'static, ()> {
    CRITICAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts taking the signals; `on_first` runs (on the signal thread) with the name of the
/// first one. Must be called before any other thread is started, as threads inherit the
/// blocked set from the thread that starts them. Where this is not supported the signals
/// keep their default action.
pub(crate) fn watch(on_first: impl FnOnce(&'static str) + Send + 'static) {
    imp::watch(on_first);
}

#[cfg(unix)]
mod imp {
    use std::io::Write;

    const SIGNALS: [(libc::c_int, &str); 3] = [
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGHUP, "SIGHUP"),
    ];

    pub(super) fn watch(on_first: impl FnOnce(&'static str) + Send + 'static) {
        // SAFETY: sigset_t is plain data, initialised by sigemptyset before use.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: the set is a valid local; the signal numbers are valid.
        let blocked = unsafe {
            libc::sigemptyset(&mut set);
            for (sig, _) in SIGNALS {
                libc::sigaddset(&mut set, sig);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) == 0
        };
        if !blocked {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("shellsweep-signals".into())
            .spawn(move || {
                let mut on_first = Some(on_first);
                loop {
                    let mut sig: libc::c_int = 0;
                    // SAFETY: the set and the out-parameter are valid for the call.
                    if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                        continue;
                    }
                    let name = SIGNALS
                        .iter()
                        .find(|(s, _)| *s == sig)
                        .map_or("a signal", |(_, n)| *n);
                    match on_first.take() {
                        Some(f) => f(name),
                        None => {
                            let _guard = super::critical();
                            let _ = std::io::stderr().write_all(
                                format!(
                                    "shellsweep: {name} again: stopping at once, without a \
                                     summary; the state was not saved\n"
                                )
                                .as_bytes(),
                            );
                            std::process::exit(super::super::Status::Trouble as i32);
                        }
                    }
                }
            });
        if spawned.is_err() {
            // Nobody would take them: give the signals back their default action.
            // SAFETY: as above.
            unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
        }
    }
}

#[cfg(not(unix))]
mod imp {
    pub(super) fn watch(_on_first: impl FnOnce(&'static str) + Send + 'static) {}
}
