//! Screens rendered with ratatui's TestBackend on the corpus capture
//! (`corpus/captures/spec-vectors.pcapng` with its keys).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use dissector::capture::{CaptureReader, CaptureWriter, Packet, Timestamp};
use dissector::model::Dissection;
use dissector::{Config, Dissector, Keys};
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use ratatui::Terminal;
use std::path::{Path, PathBuf};
use tui::app::{tree_items, App, Pane};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/captures")
        .join(name)
}

fn keys() -> Keys {
    let text = std::fs::read_to_string(corpus("spec-vectors.keys.json")).expect("keys file");
    Keys::from_json(&text).expect("keys parse")
}

fn load(path: &Path, ring: usize, filter: Option<&str>) -> App {
    let f = std::fs::File::open(path).expect("capture");
    let reader = CaptureReader::new(f).expect("capture header");
    let opts = tui::Options {
        name: path.display().to_string(),
        path: Some(path.to_path_buf()),
        ring,
        filter: filter.map(str::to_string),
        follow: false,
    };
    tui::load_sync(reader, Dissector::new(Config::default(), keys()), &opts).expect("load")
}

fn key(app: &mut App, c: KeyCode) {
    app.key(KeyEvent::new(c, KeyModifiers::NONE));
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Renders and returns the screen as lines, plus the terminal for cell inspection.
fn screen(app: &mut App) -> (Vec<String>, Terminal<TestBackend>) {
    let mut t = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    t.draw(|f| app.draw(f)).expect("draw");
    let buf = t.backend().buffer().clone();
    let lines = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect();
    (lines, t)
}

fn has(lines: &[String], s: &str) -> bool {
    lines.iter().any(|l| l.contains(s))
}

#[test]
fn packet_list_shows_summaries_and_columns() {
    let mut app = load(&corpus("spec-vectors.pcapng"), 1000, None);
    let (lines, _) = screen(&mut app);
    assert!(has(&lines, "No."), "header row");
    assert!(has(&lines, "MV-FAA seq=1207"), "{lines:#?}");
    assert!(has(&lines, "Packets 28/28"), "{lines:#?}");
}

#[test]
fn selected_packet_tree_and_hex_highlight_spec_5_1() {
    let mut app = load(&corpus("spec-vectors.pcapng"), 1000, None);
    app.goto(5);
    app.focus = Pane::Tree;
    let (lines, _) = screen(&mut app);
    assert!(has(&lines, "Frame 5"), "{lines:#?}");
    let items: Vec<String> = app
        .detail
        .as_ref()
        .expect("detail")
        .items
        .iter()
        .map(|i| i.text.clone())
        .collect();
    assert!(
        items.iter().any(|t| t == "mvtp  [38..123]"),
        "mvtp layer header: {items:#?}"
    );
    assert!(
        has(&lines, "▾ eth  [0..123]") || has(&lines, "▾ eth"),
        "{lines:#?}"
    );
    // Walk down to mvtp.leid and check the highlighted octets.
    for _ in 0..200 {
        let sel = app
            .detail
            .as_ref()
            .and_then(|d| d.selected())
            .map(|i| i.text.clone())
            .unwrap_or_default();
        if sel.starts_with("mvtp.leid") {
            break;
        }
        key(&mut app, KeyCode::Down);
    }
    let det = app.detail.as_ref().expect("detail");
    let item = det.selected().expect("selected");
    assert_eq!(item.text, "mvtp.leid: 5");
    let (_, range) = app.highlight().expect("highlight");
    // mvtp.leid: octets 4..6 of the MVTP header, MVTP at offset 38 of frame 5.
    assert_eq!(range, 42..44);
    let (lines, t) = screen(&mut app);
    assert!(has(&lines, "bytes 42..44"), "{lines:#?}");
    // Exactly the 2 LEID octets are reversed: "00 05" in hex and ".." in ASCII.
    let buf = t.backend().buffer();
    let hex_row = lines
        .iter()
        .position(|l| l.contains("0020  "))
        .expect("hex line 0x20");
    let reversed: String = (0..buf.area.width)
        .filter(|&x| {
            buf[(x, hex_row as u16)]
                .modifier
                .contains(Modifier::REVERSED)
        })
        .map(|x| buf[(x, hex_row as u16)].symbol().to_string())
        .collect();
    assert_eq!(reversed, "0005..", "octets 0x2a..0x2c on the 0x20 line");
}

#[test]
fn tree_collapse_hides_children() {
    let mut app = load(&corpus("spec-vectors.pcapng"), 1000, None);
    app.goto(5);
    app.focus = Pane::Tree;
    app.draw_once();
    let before = app.detail.as_ref().expect("detail").visible().len();
    key(&mut app, KeyCode::Enter); // collapse the first layer
    let after = app.detail.as_ref().expect("detail").visible().len();
    assert!(after < before, "{after} < {before}");
    key(&mut app, KeyCode::Right);
    assert_eq!(app.detail.as_ref().expect("detail").visible().len(), before);
}

#[test]
fn findings_pane_and_jump_check_engine() {
    let mut app = load(&corpus("spec-vectors.pcapng"), 1000, None);
    assert!(app
        .findings
        .iter()
        .any(|f| f.rule == "AUTH-5" && f.frame == 25));
    let (lines, _) = screen(&mut app);
    let first = &app.findings[0];
    assert!(
        has(&lines, &format!("frame {:>6}", first.frame)) && has(&lines, first.rule),
        "{lines:#?}"
    );
    app.goto(1);
    key(&mut app, KeyCode::Char('n'));
    let first = app
        .findings
        .iter()
        .map(|f| f.frame)
        .filter(|&f| f > 1)
        .min()
        .expect("a finding");
    assert_eq!(app.selected(), Some(first));
    // Enter in the findings pane jumps to the selected finding's frame.
    app.focus = Pane::Findings;
    let idx = app
        .findings
        .iter()
        .position(|f| f.rule == "AUTH-5")
        .expect("AUTH-5");
    for _ in 0..idx {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Home);
    for _ in 0..idx {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.selected(), Some(25));
    let (lines, _) = screen(&mut app);
    assert!(has(&lines, "Frame 25"), "{lines:#?}");
}

#[test]
fn bindings_pane_lists_mvtp_l2tp_mip() {
    let mut app = load(&corpus("spec-vectors.pcapng"), 1000, None);
    app.focus = Pane::Findings;
    key(&mut app, KeyCode::Tab); // → Bindings
    assert_eq!(app.focus, Pane::Bindings);
    let (lines, _) = screen(&mut app);
    assert!(
        has(&lines, "gid mac:00:21:6a:4b:1c:2d leid 5 cid 1005"),
        "{lines:#?}"
    );
    assert!(
        has(&lines, "tunnel 18961 192.0.2.10 → 203.0.113.5"),
        "{lines:#?}"
    );
    assert!(
        has(&lines, "home 10.40.1.23 HA 10.40.0.1 care-of 10.40.7.66"),
        "{lines:#?}"
    );
}

/// Spec §8 / RFC 5265: the bindings pane shows each mobile node's inside/outside state as
/// the conformance engine infers it — inside after the i-HA's TNC reply, outside after
/// the move to the visited network, inside again on return (corpus `mip5265-move`).
#[test]
fn bindings_pane_shows_rfc_5265_inside_outside_per_mobile_node() {
    let path = corpus("mip5265-move.pcapng");
    let keys_text = std::fs::read_to_string(corpus("mip5265-move.keys.json")).expect("keys file");
    let f = std::fs::File::open(&path).expect("capture");
    let reader = CaptureReader::new(f).expect("capture header");
    let opts = tui::Options { name: path.display().to_string(), path: Some(path.clone()), ring: 1000, filter: None, follow: false };
    let dissector = Dissector::new(Config::default(), Keys::from_json(&keys_text).expect("keys"));
    let mut app = tui::load_sync(reader, dissector, &opts).expect("load");
    let lines = app.binding_lines();
    let nodes = lines.iter().position(|l| l.starts_with("RFC 5265 mobile nodes")).expect("RFC 5265 section");
    assert!(lines[nodes].starts_with("RFC 5265 mobile nodes (") && !lines[nodes].ends_with("(0)"), "{lines:#?}");
    assert!(lines[nodes + 1..].iter().any(|l| l.contains(" inside (") && l.contains("TNC in frame")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("  home ") && l.ends_with(" TNC")), "{lines:#?}");
    app.focus = Pane::Findings;
    key(&mut app, KeyCode::Tab);
    let (screen_lines, _) = screen(&mut app);
    assert!(has(&screen_lines, "RFC 5265 mobile nodes"), "{screen_lines:#?}");
}

#[test]
fn display_filter_syntax_error_inline_then_applied() {
    let mut app = load(&corpus("spec-vectors.pcapng"), 1000, None);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "mvtp.type ==");
    let (lines, _) = screen(&mut app);
    assert!(has(&lines, "syntax error"), "{lines:#?}");
    typed(&mut app, " 4");
    assert!(app.input_error.is_none(), "{:?}", app.input_error);
    key(&mut app, KeyCode::Enter);
    app.settle();
    assert!(!app.view.is_empty());
    assert!(app.view.len() < 28);
    assert!(app.view.contains(&5));
    let (lines, _) = screen(&mut app);
    assert!(
        has(&lines, &format!("Packets {}/28", app.view.len())),
        "{lines:#?}"
    );
    assert!(has(&lines, "filter: mvtp.type == 4"), "{lines:#?}");
}

#[test]
fn save_writes_filtered_packets_with_findings_as_comments() {
    let mut app = load(&corpus("spec-vectors.pcapng"), 1000, Some("mvtp"));
    let shown = app.view.clone();
    assert!(!shown.is_empty());
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("saved.pcapng");
    app.save(out.to_str().expect("utf-8"));
    app.settle();
    let mut r = CaptureReader::new(std::fs::File::open(&out).expect("saved")).expect("pcapng");
    let mut n = 0;
    let mut auth5 = false;
    while let Some(p) = r.next_packet().expect("read") {
        n += 1;
        if p.comment.is_some_and(|c| c.contains("AUTH-5")) {
            auth5 = true;
        }
    }
    assert_eq!(n, shown.len());
    assert!(auth5, "finding of frame 25 saved as a comment");
}

#[test]
fn ring_1000_of_50000_packets_reopens_packet_10_with_full_tree() {
    // Templates: the corpus capture's packets, repeated to 50,000.
    let mut templates: Vec<(Timestamp, codec::numbers::LinkType, u32, Vec<u8>)> = Vec::new();
    let mut r =
        CaptureReader::new(std::fs::File::open(corpus("spec-vectors.pcapng")).expect("capture"))
            .expect("header");
    while let Some(p) = r.next_packet().expect("read") {
        templates.push((p.ts, p.linktype, p.orig_len, p.data.to_vec()));
    }
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("big.pcapng");
    let mut w = CaptureWriter::pcapng(std::io::BufWriter::new(
        std::fs::File::create(&path).expect("create"),
    ))
    .expect("writer");
    for i in 0..50_000usize {
        let (ts, lt, ol, data) = &templates[i % templates.len()];
        let ts = Timestamp {
            secs: ts.secs + i as i64,
            nanos: ts.nanos,
        };
        w.write(&Packet {
            ts,
            linktype: *lt,
            interface: 0,
            orig_len: *ol,
            data,
            comment: None,
        })
        .expect("write");
    }
    w.finish().expect("finish");
    let mut app = load(&path, 1000, None);
    assert_eq!(app.view.len(), 50_000);
    assert_eq!(app.ring_len(), 1000);
    app.open(10);
    let det = app.detail.as_ref().expect("detail");
    assert!(det.error.is_none(), "{:?}", det.error);
    let (_, lt, ol, data) = &templates[9];
    let mut d = Dissection::default();
    Dissector::new(Config::default(), keys()).dissect(*lt, data, *ol as usize, &mut d);
    let want: Vec<String> = tree_items(&d, data).into_iter().map(|i| i.text).collect();
    let got: Vec<String> = det.items.iter().map(|i| i.text.clone()).collect();
    assert!(want.len() > 5);
    assert_eq!(got, want);
    // Its summary row is rebuilt on demand, too.
    let row = app.row(10).expect("row 10");
    assert_eq!(row.number, 10);
    assert!(!row.info.is_empty());
}

#[test]
fn stream_input_spills_frames_and_reopens_them() {
    // A stream (no path): frames go to a spill file, and packets re-open from it.
    let bytes = std::fs::read(corpus("spec-vectors.pcapng")).expect("capture");
    let reader = CaptureReader::new(std::io::Cursor::new(bytes)).expect("header");
    let opts = tui::Options {
        name: "-".into(),
        path: None,
        ring: 4,
        filter: None,
        follow: false,
    };
    let mut app =
        tui::load_sync(reader, Dissector::new(Config::default(), keys()), &opts).expect("load");
    assert_eq!(app.view.len(), 28);
    assert_eq!(app.ring_len(), 4);
    app.open(5);
    let det = app.detail.as_ref().expect("detail");
    assert!(det.error.is_none(), "{:?}", det.error);
    assert!(det.items.iter().any(|i| i.text == "mvtp.leid: 5"));
    assert!(app.row(2).is_some_and(|r| r.info.starts_with("MV-FAS")));
}

#[test]
fn help_overlay_search_and_stats_pane() {
    let mut app = load(&corpus("spec-vectors.pcapng"), 1000, None);
    key(&mut app, KeyCode::Char('?'));
    let (lines, _) = screen(&mut app);
    assert!(has(&lines, "mvtp tui — keys"), "{lines:#?}");
    key(&mut app, KeyCode::Char('x')); // any key closes it
    let (lines, _) = screen(&mut app);
    assert!(!has(&lines, "mvtp tui — keys"));
    // Search forward from packet 1 for the first MV-DN summary.
    app.goto(1);
    key(&mut app, KeyCode::Char('s'));
    typed(&mut app, "mv-dn");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.selected(), Some(7));
    // Go to a packet by number.
    key(&mut app, KeyCode::Char('g'));
    typed(&mut app, "12");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.selected(), Some(12));
    // Stats pane: the `mvtp stats` text.
    app.focus = Pane::Bindings;
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Stats);
    let (lines, _) = screen(&mut app);
    // The `mvtp stats` report: totals and the protocol hierarchy.
    assert!(has(&lines, "28 packets, 2460 octets"), "{lines:#?}");
    assert!(has(&lines, "protocol hierarchy"), "{lines:#?}");
}
