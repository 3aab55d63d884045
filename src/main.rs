fn main() -> std::process::ExitCode {
    map_big_blocks_apart();
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

/// Fixes glibc's threshold for mapping a block on its own at 128 KiB, its starting value.
/// Left alone, glibc raises it to the size of each mapped block that is freed (up to
/// 32 MiB), so after the first big file's read buffer or a regex cache dropped at its
/// budget, blocks that size come from the arenas, where what is freed stays resident: peak
/// RSS of a `-j2` sweep of the issue 18 web root was 141-148 MB with the moving threshold,
/// 132-136 MB with this one, for the same CPU time. Setting it also keeps the trim threshold
/// at its default. (It replaces a `malloc_trim` after each big canonical view, which fought
/// the same moving threshold for the views' tokens alone and made no difference once the
/// threshold was fixed.)
fn map_big_blocks_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt sets one of glibc's own parameters; no memory is passed.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 << 10);
    }
}
