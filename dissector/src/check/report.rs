//! Renderers of a conformance [`Report`]: human text grouped by rule, JSON
//! (`mvtp-check/1`), JUnit XML (one test case per rule), SARIF 2.1.0 and GitHub Actions
//! annotations; and expectation files (`--expect capture.expect.toml`) for CI.

use super::catalogue::{rule, CATALOGUE};
use super::engine::{Finding, Report};
use codec::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Output formats of `mvtp check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human text grouped by rule.
    Text,
    /// JSON, schema `mvtp-check/1`.
    Json,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…`).
    Github,
}

impl Format {
    /// Parses a `--format` value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "junit" => Format::Junit,
            "sarif" => Format::Sarif,
            "github" => Format::Github,
            _ => return None,
        })
    }
}

/// Renders `report` about `capture` (its path, named in SARIF and annotations).
pub fn render(report: &Report, format: Format, capture: &str) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Junit => junit(report, capture),
        Format::Sarif => sarif(report, capture),
        Format::Github => github(report, capture),
    }
}

fn by_rule(report: &Report) -> BTreeMap<&'static str, Vec<&Finding>> {
    let mut m: BTreeMap<&'static str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        m.entry(f.rule).or_default().push(f);
    }
    m
}

fn text(report: &Report) -> String {
    let mut out = String::new();
    for (id, fs) in by_rule(report) {
        let title = rule(id).map_or("", |r| r.text);
        let n = report.summary.by_rule.get(id).copied().unwrap_or(fs.len() as u64);
        let _ = writeln!(out, "{id} ({n} finding{}): {title}", if n == 1 { "" } else { "s" });
        for f in fs {
            let related = if f.related_frames.is_empty() {
                String::new()
            } else {
                format!(" (see frame{} {})", if f.related_frames.len() == 1 { "" } else { "s" }, join(&f.related_frames))
            };
            let who = if f.endpoints.is_empty() { String::new() } else { format!(" [{}]", f.endpoints.join(" → ")) };
            let _ = writeln!(out, "  {:7} frame {}{related}{who}: {}", f.severity.as_str(), f.frame, f.message);
        }
        if let Some(more) = report.summary.unlisted.get(id) {
            let _ = writeln!(out, "  … and {more} more, counted but not listed (--max-findings)");
        }
    }
    let s = &report.summary;
    let _ = writeln!(out, "{} packets: {} errors, {} warnings, {} infos; {} rules not evaluated", s.packets, s.errors, s.warnings, s.infos, report.not_evaluated.len());
    out
}

fn join(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn junit(report: &Report, capture: &str) -> String {
    let groups = by_rule(report);
    let failures = groups.values().filter(|v| v.iter().any(|f| f.severity == Severity::Error)).count();
    let skipped: BTreeMap<_, _> = report.not_evaluated.iter().map(|n| (n.rule, n.reason.as_str())).collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites><testsuite name=\"mvtp check {}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{}\">", xml(capture), CATALOGUE.len(), skipped.len());
    for r in CATALOGUE {
        let _ = write!(out, "  <testcase classname=\"mvtp.{}\" name=\"{}: {}\">", r.id.split('-').next().unwrap_or(""), r.id, xml(r.text));
        if let Some(fs) = groups.get(r.id) {
            let errors: Vec<_> = fs.iter().filter(|f| f.severity == Severity::Error).collect();
            let body: String = fs.iter().map(|f| format!("frame {} ({}): {}\n", f.frame, f.severity.as_str(), f.message)).collect();
            if errors.is_empty() {
                let _ = write!(out, "<system-out>{}</system-out>", xml(&body));
            } else {
                let frames: Vec<u64> = errors.iter().map(|f| f.frame).collect();
                let _ = write!(out, "<failure message=\"{} finding(s) in frames {}\">{}</failure>", errors.len(), join(&frames), xml(&body));
            }
        } else if let Some(reason) = skipped.get(r.id) {
            let _ = write!(out, "<skipped message=\"{}\"/>", xml(reason));
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn sarif(report: &Report, capture: &str) -> String {
    let rules: Vec<_> = CATALOGUE
        .iter()
        .map(|r| serde_json::json!({"id": r.id, "shortDescription": {"text": r.text}, "defaultConfiguration": {"level": sarif_level(r.severity)}}))
        .collect();
    let results: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "ruleId": f.rule,
                "level": sarif_level(f.severity),
                "message": {"text": format!("frame {}: {}", f.frame, f.message)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": capture},
                    "region": {"byteOffset": f.offset.unwrap_or(0), "byteLength": 1}
                }, "logicalLocations": [{"name": format!("frame {}", f.frame), "kind": "packet"}]}],
                "properties": {"frame": f.frame, "related_frames": f.related_frames, "endpoints": f.endpoints}
            })
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "mvtp check", "rules": rules}}, "results": results}]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// GitHub workflow commands escape `%`, CR and LF in messages.
fn gh_escape(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn github(report: &Report, capture: &str) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let _ = writeln!(out, "::{level} file={capture},title={} frame {}::{}", f.rule, f.frame, gh_escape(&f.message));
    }
    out
}

/// The catalogue as `mvtp check --list-rules` prints it: text columns or JSON.
pub fn list_rules(json: bool) -> String {
    if json {
        let rules: Vec<_> = CATALOGUE
            .iter()
            .map(|r| serde_json::json!({"id": r.id, "severity": r.severity.as_str(), "scope": r.scope.as_str(), "text": r.text, "needs": r.needs}))
            .collect();
        return serde_json::to_string_pretty(&rules).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    for r in CATALOGUE {
        let _ = writeln!(out, "{:<12} {:<8} {:<15} {}  [needs: {}]", r.id, r.severity.as_str(), r.scope.as_str(), r.text, r.needs);
    }
    out
}

/// An expectation file (`capture.expect.toml`): exactly these findings must occur.
///
/// ```toml
/// [[expect]]
/// rule = "PROC-7"
/// frame = 4              # or frames = [4, 9], or count = 2
/// severity = "error"     # optional
/// ```
/// Rules not listed must have no finding.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// The expected findings.
    #[serde(default)]
    pub expect: Vec<Expect>,
}

/// One expected finding (or group of findings of one rule).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Rule ID.
    pub rule: String,
    /// One frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    /// Several frames.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<u64>,
    /// Only a count (when frames are not pinned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Expected severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
}

impl Expectations {
    /// Parses an expectation file.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// An expectation file pinning exactly the findings of `report` (`--write-expect`).
    pub fn from_report(report: &Report) -> Self {
        let expect = report
            .findings
            .iter()
            .map(|f| Expect { rule: f.rule.to_string(), frame: Some(f.frame), frames: vec![], count: None, severity: Some(f.severity.as_str().into()) })
            .collect();
        Self { expect }
    }

    /// As TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Compares with a report: the list of differences (empty when it matches exactly).
    pub fn compare(&self, report: &Report) -> Vec<String> {
        let mut problems = Vec::new();
        let mut want_frames: BTreeMap<&str, Vec<(u64, Option<&str>)>> = BTreeMap::new();
        let mut want_counts: BTreeMap<&str, u64> = BTreeMap::new();
        for e in &self.expect {
            if rule(&e.rule).is_none() && !e.rule.starts_with("RFC") {
                problems.push(format!("expectation names unknown rule {}", e.rule));
            }
            let frames: Vec<u64> = e.frame.into_iter().chain(e.frames.iter().copied()).collect();
            if frames.is_empty() {
                *want_counts.entry(&e.rule).or_default() += e.count.unwrap_or(1);
            } else {
                want_frames.entry(&e.rule).or_default().extend(frames.into_iter().map(|f| (f, e.severity.as_deref())));
            }
        }
        let have = by_rule(report);
        for (id, more) in &report.summary.unlisted {
            if want_frames.contains_key(id) {
                problems.push(format!("{id}: {more} finding(s) not listed (--max-findings): frames cannot be compared"));
            }
        }
        for (id, fs) in &have {
            if let Some(want) = want_frames.get(id) {
                let mut got: Vec<u64> = fs.iter().map(|f| f.frame).collect();
                got.sort_unstable();
                let mut w: Vec<u64> = want.iter().map(|x| x.0).collect();
                w.sort_unstable();
                if got != w {
                    problems.push(format!("{id}: expected findings in frames [{}], got [{}]", join(&w), join(&got)));
                }
                for (frame, sev) in want {
                    if let Some(sev) = sev {
                        if !fs.iter().any(|f| f.frame == *frame && f.severity.as_str() == *sev) {
                            problems.push(format!("{id}: frame {frame} expected severity {sev}"));
                        }
                    }
                }
            } else if let Some(&n) = want_counts.get(id) {
                let got = report.summary.by_rule.get(id).copied().unwrap_or(fs.len() as u64);
                if got != n {
                    problems.push(format!("{id}: expected {n} findings, got {got}"));
                }
            } else {
                problems.push(format!("{id}: unexpected finding(s) in frames [{}]", join(&fs.iter().map(|f| f.frame).collect::<Vec<_>>())));
            }
        }
        for (id, want) in &want_frames {
            if !have.contains_key(id) {
                problems.push(format!("{id}: expected findings in frames [{}], got none", join(&want.iter().map(|x| x.0).collect::<Vec<_>>())));
            }
        }
        for (id, n) in &want_counts {
            if !have.contains_key(id) {
                problems.push(format!("{id}: expected {n} findings, got none"));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::engine::Summary;

    fn report() -> Report {
        let f = |rule, frame, severity| Finding { rule, severity, frame, related_frames: vec![1], offset: Some(22), endpoints: vec!["a".into(), "b".into()], message: "stale <cid> & \"x\"".into() };
        Report {
            schema: "mvtp-check/1",
            findings: vec![f("PROC-7", 4, Severity::Error), f("PROC-2", 9, Severity::Warning), f("PROC-7", 12, Severity::Error)],
            not_evaluated: vec![],
            summary: Summary { packets: 12, errors: 2, warnings: 1, ..Default::default() },
        }
    }

    #[test]
    fn expectations_match_exactly_or_say_why_not() {
        let r = report();
        let exact = Expectations::from_toml("[[expect]]\nrule = \"PROC-7\"\nframes = [12, 4]\n[[expect]]\nrule = \"PROC-2\"\ncount = 1\n").unwrap();
        assert_eq!(exact.compare(&r), Vec::<String>::new());
        let missing = Expectations::from_toml("[[expect]]\nrule = \"PROC-7\"\nframe = 4\nseverity = \"error\"\n").unwrap();
        let p = missing.compare(&r);
        assert!(p.iter().any(|s| s.contains("PROC-7: expected findings in frames [4], got [4, 12]")), "{p:?}");
        assert!(p.iter().any(|s| s.contains("PROC-2: unexpected")), "{p:?}");
        let absent = Expectations::from_toml("[[expect]]\nrule = \"SEC-1\"\nframe = 2\n").unwrap();
        assert!(absent.compare(&r).iter().any(|s| s.contains("SEC-1: expected findings in frames [2], got none")));
        // write → read → compare round trip
        let written = Expectations::from_report(&r).to_toml();
        assert_eq!(Expectations::from_toml(&written).unwrap().compare(&r), Vec::<String>::new());
        assert!(Expectations::from_toml("[[expect]]\nrul = 1\n").is_err(), "unknown keys are rejected");
    }

    #[test]
    fn config_file_parses_and_rejects_unknown_rules() {
        use crate::check::CheckConfig;
        let c = CheckConfig::from_toml("t_monitor = 30.0\nskip = [\"PROC-1\"]\n[severity]\n\"PROC-2\" = \"error\"\n").unwrap();
        assert_eq!(c.t_monitor, 30.0);
        assert_eq!(c.max_pdu_lifetime, 10.0, "absent keys keep defaults");
        assert_eq!(c.severity.get("PROC-2"), Some(&Severity::Error));
        assert!(CheckConfig::from_toml("skip = [\"PROC-99\"]").unwrap_err().contains("PROC-99"));
        assert!(CheckConfig::from_toml("t_monitr = 3.0").is_err());
        let listing = list_rules(false);
        assert_eq!(listing.lines().count(), CATALOGUE.len());
        assert!(listing.contains("PROC-7") && listing.contains("stateful"));
    }

    /// docs/conformance.md documents every rule of the catalogue.
    #[test]
    fn every_rule_is_documented() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/conformance.md")).expect("docs/conformance.md");
        for r in CATALOGUE {
            assert!(doc.contains(&format!("| {} |", r.id)), "{} is not in docs/conformance.md", r.id);
        }
    }

    #[test]
    fn renderers_escape_and_name_rules_and_frames() {
        let r = report();
        let t = render(&r, Format::Text, "cap.pcap");
        assert!(t.contains("PROC-7 (2 findings)") && t.contains("frame 4 (see frame 1) [a → b]"), "{t}");
        let j = render(&r, Format::Junit, "cap.pcap");
        assert!(j.contains("failures=\"1\"") && j.contains("frames 4, 12") && j.contains("&lt;cid&gt; &amp;") && !j.contains("<cid>"), "{j}");
        let s: serde_json::Value = serde_json::from_str(&render(&r, Format::Sarif, "cap.pcap")).unwrap();
        assert_eq!(s["runs"][0]["results"][0]["ruleId"], "PROC-7");
        assert_eq!(s["runs"][0]["results"][1]["level"], "warning");
        let g = render(&r, Format::Github, "cap.pcap");
        assert!(g.starts_with("::error file=cap.pcap,title=PROC-7 frame 4::"), "{g}");
        let js: serde_json::Value = serde_json::from_str(&render(&r, Format::Json, "x")).unwrap();
        assert_eq!(js["schema"], "mvtp-check/1");
        assert_eq!(js["findings"][0]["rule"], "PROC-7");
    }
}
