//! The `backflip` command line: main.rs only parses; the commands live in the library
//! (src/commands.rs).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = backflip::cli::Cli::parse();
    match backflip::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`| head`): it wanted no more (src/output.rs).
        Err(e) if e.downcast_ref::<backflip::output::StdoutClosed>().is_some() => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes.
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}
