//! `mvtp`: the toolkit's one user-facing binary. Thin: clap parses, libraries work.
fn main() {
    println!("mvtp: subcommands arrive with the dissector work");
}
