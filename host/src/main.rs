//! The `onewindow` binary: see `cli.rs` for the commands.

fn main() -> std::process::ExitCode {
    onewindow::cli::main()
}
