fn main() -> std::process::ExitCode {
    tune_malloc();
    if STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed) {
        shellsweep::internals::stdout_closed_at_start();
    }
    shellsweep::internals::cli_main()
}

/// Asks glibc's allocator to hold less memory it does not use (issue 18: peak RSS on a web
/// root of real code). By default every thread that allocates may get an arena of its own,
/// and memory freed in one arena serves only that arena, so what one scanning thread freed
/// stays resident beside what another allocates; and once a large mapped block is freed,
/// the size above which blocks are mapped rises with it (up to 32 MB), so big per-file
/// buffers then come from the arenas and leave holes there. One arena (small blocks still
/// come from each thread's own cache) and a fixed 4 MiB mapping threshold lower the peak
/// at about the same CPU; a lower threshold (256 KiB) saved a little more memory but mapped
/// and faulted in so many mid-sized blocks that system time rose by a tenth of the run.
/// Called before any thread starts; these two settings override `MALLOC_ARENA_MAX` and
/// `GLIBC_TUNABLES`.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; no thread has been started yet, and
    // a value it refuses leaves the default in place (the result is not needed).
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
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
