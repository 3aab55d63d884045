fn main() -> std::process::ExitCode {
    if STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed) {
        shellsweep::internals::stdout_closed_at_start();
    }
    shellsweep::internals::cli_main()
}

/// Whether standard output was closed when the process started (`cmd >&-`). The standard
/// library puts `/dev/null` on a closed standard descriptor before `main`, after which
/// findings written there would vanish without an error; so this looks before it does.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
#[used]
#[unsafe(link_section = ".init_array")]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

#[cfg(any(target_os = "macos", target_os = "ios"))]
#[used]
#[unsafe(link_section = "__DATA,__mod_init_func")]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "macos",
    target_os = "ios"
))]
extern "C" fn note_closed_stdout() {
    // SAFETY: fcntl on a descriptor number only asks about it; no memory is passed.
    if unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) } == -1 {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
