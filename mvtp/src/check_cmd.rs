//! `mvtp check`: judges a capture against every clause of the spec (docs/conformance.md).
//!
//! Exit status: 0 no finding at or above `--fail-on`; 1 findings (with `--expect`: the
//! findings differ from the expected ones); 2 usage or input error.

use crate::common::InputArgs;
use crate::EXIT_USAGE;
use clap::{Args, ValueEnum};
use codec::Severity;
use dissector::capture::{CaptureReader, CaptureWriter, Packet};
use dissector::check::report::{list_rules, render, Expectations, Format};
use dissector::check::{CheckConfig, Checker, Report};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Exit status: findings (or expectations not met).
const EXIT_FINDINGS: u8 = 1;

/// `--format` values.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckFormat {
    /// Text grouped by rule.
    Text,
    /// JSON, schema mvtp-check/1.
    Json,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions annotations.
    Github,
}

/// `--fail-on` values.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Info,
    /// Never fail on findings.
    Never,
}

/// Arguments of `mvtp check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
    /// Configuration file (TOML; see docs/conformance.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Rules not to evaluate (repeatable).
    #[arg(long, value_name = "RULE")]
    pub skip: Vec<String>,
    /// The capture may start in the middle of connections.
    #[arg(long)]
    pub partial: bool,
    /// Pass when exactly the findings of this expectation file occur.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<String>,
    /// Write the findings as an expectation file.
    #[arg(long, value_name = "FILE")]
    pub write_expect: Option<String>,
    /// Write the capture back as pcapng with each finding as a packet comment.
    #[arg(long, value_name = "FILE")]
    pub annotate: Option<String>,
    /// Findings listed per rule (the rest are counted): keeps memory bounded on captures
    /// where one rule breaks on every packet. 0 lists all; `--expect`, `--write-expect`
    /// and `--annotate` list all.
    #[arg(long, value_name = "N")]
    pub max_findings: Option<usize>,
    /// Print the rule catalogue and exit.
    #[arg(long)]
    pub list_rules: bool,
}

macro_rules! fail {
    ($($t:tt)*) => {{
        eprintln!("mvtp check: {}", format!($($t)*));
        return ExitCode::from(EXIT_USAGE);
    }};
}

pub fn run(a: &CheckArgs) -> ExitCode {
    if a.list_rules {
        print!("{}", list_rules(a.format == CheckFormat::Json));
        return ExitCode::SUCCESS;
    }
    let mut cfg = match &a.config {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| CheckConfig::from_toml(&t))
        {
            Ok(c) => c,
            Err(e) => fail!("--config {path}: {e}"),
        },
        None => CheckConfig::default(),
    };
    cfg.skip.extend(a.skip.iter().cloned());
    if let Some(n) = a.max_findings {
        cfg.max_findings_per_rule = n;
    }
    if a.expect.is_some() || a.write_expect.is_some() || a.annotate.is_some() {
        // Exact frames are compared, written or annotated: list every finding.
        cfg.max_findings_per_rule = 0;
    }
    cfg.partial_capture |= a.partial;
    if let Some(bad) = cfg.skip.iter().find(|id| dissector::check::catalogue::rule(id).is_none()) {
        fail!("--skip {bad}: unknown rule (see mvtp check --list-rules)");
    }
    let expectations = match &a.expect {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| Expectations::from_toml(&t))
        {
            Ok(e) => Some(e),
            Err(e) => fail!("--expect {path}: {e}"),
        },
        None => None,
    };
    if a.annotate.is_some() && a.input.path().is_none_or(|p| p == "-") {
        fail!("--annotate reads the capture twice: give a file, not standard input");
    }
    let o = match a.input.open() {
        Ok(o) => o,
        Err(e) => fail!("{e}"),
    };
    let mut checker = Checker::new(cfg);
    let (name, keys_given) = (o.name.clone(), o.keys_given);
    if let Err(e) = o.for_each(|n, ts, d, data| checker.packet(n, ts, d, data)) {
        fail!("{e}");
    }
    let report = checker.finish(keys_given);
    let format = match a.format {
        CheckFormat::Text => Format::Text,
        CheckFormat::Json => Format::Json,
        CheckFormat::Junit => Format::Junit,
        CheckFormat::Sarif => Format::Sarif,
        CheckFormat::Github => Format::Github,
    };
    print!("{}", render(&report, format, &name));
    if let Some(path) = &a.write_expect {
        if let Err(e) = std::fs::write(path, Expectations::from_report(&report).to_toml()) {
            fail!("--write-expect {path}: {e}");
        }
    }
    if let Some(out) = &a.annotate {
        if let Err(e) = annotate(&name, out, &report) {
            fail!("--annotate {out}: {e}");
        }
    }
    if let Some(exp) = expectations {
        let problems = exp.compare(&report);
        for p in &problems {
            eprintln!("expectation: {p}");
        }
        return if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_FINDINGS)
        };
    }
    let threshold = match a.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let s = &report.summary;
    let failing = threshold.is_some_and(|t| {
        [(Severity::Error, s.errors), (Severity::Warning, s.warnings), (Severity::Info, s.infos)].iter().any(|&(sev, n)| n > 0 && sev >= t)
    });
    if failing {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Re-reads `input` and writes it to `out` as pcapng, each finding a packet comment.
fn annotate(input: &str, out: &str, report: &Report) -> Result<(), String> {
    let mut notes: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for f in &report.findings {
        notes
            .entry(f.frame)
            .or_default()
            .push(format!("{} {}: {}", f.rule, f.severity.as_str(), f.message));
    }
    let src = std::fs::File::open(input).map_err(|e| e.to_string())?;
    let mut reader = CaptureReader::new(std::io::BufReader::new(src)).map_err(|e| e.to_string())?;
    let file = std::fs::File::create(out).map_err(|e| e.to_string())?;
    let mut w = CaptureWriter::pcapng(std::io::BufWriter::new(file)).map_err(|e| e.to_string())?;
    let mut n = 0u64;
    while let Some(p) = reader.next_packet().map_err(|e| e.to_string())? {
        n += 1;
        let joined = notes.get(&n).map(|v| v.join("; "));
        let q = Packet {
            comment: joined.as_deref().or(p.comment),
            ..p
        };
        w.write(&q).map_err(|e| e.to_string())?;
    }
    w.finish().map_err(|e| e.to_string())?;
    Ok(())
}
