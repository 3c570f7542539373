//! What the commands print. `println!` panics when standard output is a
//! pipe whose reader has gone (`onewindow audit list | head -1`): Rust
//! ignores SIGPIPE, so the write fails with `BrokenPipe` instead of ending
//! the process. The reader wanted no more, so here a closed pipe ends the
//! command quietly and successfully, as ripgrep does; any other failure to
//! write the output is an error and exit code 1. Notes and errors on
//! standard error are best effort: failing to write them never changes how
//! the command ends, so a refusal still exits non-zero.

use std::fmt;
use std::io::{self, Write};
use std::process;

/// `println!` for the commands' output; see the module documentation.
macro_rules! outln {
    () => {
        $crate::cli::output::line(::std::format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::line(::std::format_args!($($arg)*))
    };
}

/// `eprintln!` for the commands' notes and errors; see the module documentation.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

pub(crate) use {errln, outln};

/// Writes one line to standard output, ending the process when it cannot.
pub fn line(text: fmt::Arguments<'_>) {
    let written = {
        let mut out = io::stdout().lock();
        out.write_fmt(text).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush())
    };
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => process::exit(0),
        Err(e) => {
            errln!("error: cannot write the output: {e}");
            process::exit(1)
        }
    }
}
