//! `gate`: the command line. Parses, calls the library, maps the outcome to an exit code
//! (DESIGN.md: 0 pass, 1 the gate failed, 2 bad usage or unreadable input).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
