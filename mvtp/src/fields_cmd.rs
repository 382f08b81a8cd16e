//! `mvtp fields`: every registered display-filter field, like `tshark -G fields`:
//! one line per field, tab-separated `name`, `type`, `protocol`, `description`.

use crate::cli::FieldsArgs;
use std::io::{BufWriter, ErrorKind, Write};
use std::process::ExitCode;

pub fn run(args: &FieldsArgs) -> ExitCode {
    let prefix = args.prefix.as_deref().unwrap_or("");
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    let all = codec::fields::all().chain(dissector::output::fields::FRAME_FIELDS.iter());
    for f in all.filter(|f| f.name.starts_with(prefix)) {
        let proto = f.name.split('.').next().unwrap_or(f.name);
        if let Err(e) = writeln!(w, "{}\t{}\t{}\t{}", f.name, f.ty.as_str(), proto, f.desc) {
            return io_end(&e);
        }
    }
    match w.flush() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => io_end(&e),
    }
}

fn io_end(e: &std::io::Error) -> ExitCode {
    if e.kind() == ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("mvtp: write error: {e}");
    ExitCode::from(crate::EXIT_ACTION)
}
