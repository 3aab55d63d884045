fn main() -> std::process::ExitCode {
    shellsweep::cli::main()
}
