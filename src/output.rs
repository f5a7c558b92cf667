//! The commands' standard output. A reader that goes away early (`backflip clip export ID |
//! head`) ends the command quietly, as other command-line tools do, where `println!` would
//! panic with a backtrace.

use std::fmt::Arguments;
use std::io::{ErrorKind, Write};

/// The reader of standard output has gone: nothing more is wanted, and nothing went wrong
/// (main.rs exits with success, saying nothing).
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed by its reader")]
pub struct StdoutClosed;

/// Writes to standard output and flushes it.
pub fn write(args: Arguments) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        other => Ok(other?),
    }
}

/// The commands' `println!`: one line to standard output, through `write`; returns from the
/// calling function with the error if it fails.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))?
    };
}
