//! The native command line's entry point: parse the flags, run, and turn an error into a message and exit code 1.
// Native only: the browser face lives in src/web/.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

mod cli;

use clap::Parser;

fn main() {
    if let Err(message) = cli::run(cli::Args::parse()) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
