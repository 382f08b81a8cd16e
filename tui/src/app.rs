//! UI state, key handling and drawing. Nothing here blocks: messages from the reader are
//! drained with `try_recv`, filter rescans and saves run on their own threads.

use crate::source::{self, make_row, Entry, Msg, Row, Shared};
use codec::Severity;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use dissector::capture::{CaptureWriter, Packet};
use dissector::check::Finding;
use dissector::filter::Filter;
use dissector::model::{BufferId, Dissection, Value};
use dissector::stats::Stats;
use dissector::{Config, Dissector, Keys};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row as TRow, Table};
use ratatui::Frame;
use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;

/// Messages drained per tick at most, so a fast source cannot starve the redraw.
const MAX_MSGS_PER_TICK: usize = 20_000;
/// Longest time one tick spends applying messages, so frames keep coming under a flood.
const TICK_BUDGET: std::time::Duration = std::time::Duration::from_millis(15);
/// Out-of-ring rows kept rendered at most.
const ROW_CACHE: usize = 4096;
/// Default name offered by `w`.
pub const DEFAULT_SAVE: &str = "mvtp-tui-saved.pcapng";

/// A pane that can have the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// Packet list.
    List,
    /// Layer tree.
    Tree,
    /// Hex and ASCII.
    Hex,
    /// Conformance findings.
    Findings,
    /// Mobility bindings, L2TP tunnels, MIP bindings.
    Bindings,
    /// Statistics.
    Stats,
}

const CYCLE: [Pane; 6] = [
    Pane::List,
    Pane::Tree,
    Pane::Hex,
    Pane::Findings,
    Pane::Bindings,
    Pane::Stats,
];

/// A line being typed in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// No input.
    None,
    /// Display filter (`/`, `Y`).
    Filter(String),
    /// Search text (`s`).
    Search(String),
    /// Go to packet (`g`).
    Goto(String),
    /// Save to file (`w`).
    Save(String),
}

/// One line of the layer tree.
#[derive(Debug, Clone)]
pub struct TreeItem {
    /// Indentation.
    pub depth: u8,
    /// What is shown.
    pub text: String,
    /// Buffer the octets are in.
    pub buffer: BufferId,
    /// Octets covered.
    pub range: Range<u32>,
    /// Followed by deeper items.
    pub has_children: bool,
}

/// The opened packet.
pub struct Detail {
    /// Frame number.
    pub number: u64,
    /// Its octets.
    pub frame: Vec<u8>,
    /// Its dissection.
    pub d: Dissection,
    /// Tree lines.
    pub items: Vec<TreeItem>,
    /// Collapsed items (indices into `items`).
    pub collapsed: HashSet<usize>,
    /// Selected item (index into `items`).
    pub sel: usize,
    /// Why it could not be opened.
    pub error: Option<String>,
}

impl Detail {
    /// Indices of the items shown (children of collapsed items hidden).
    pub fn visible(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut hide_below: Option<u8> = None;
        for (i, it) in self.items.iter().enumerate() {
            if let Some(h) = hide_below {
                if it.depth > h {
                    continue;
                }
                hide_below = None;
            }
            out.push(i);
            if it.has_children && self.collapsed.contains(&i) {
                hide_below = Some(it.depth);
            }
        }
        out
    }

    /// The selected item.
    pub fn selected(&self) -> Option<&TreeItem> {
        self.items.get(self.sel)
    }
}

/// Builds the tree lines of a dissection: one per layer, one per field, then diagnostics.
pub fn tree_items(d: &Dissection, frame: &[u8]) -> Vec<TreeItem> {
    let mut items = Vec::new();
    for (li, l) in d.layers.iter().enumerate() {
        items.push(TreeItem {
            depth: 0,
            text: format!("{}  [{}..{}]", l.proto, l.range.start, l.range.end),
            buffer: l.buffer,
            range: l.range.clone(),
            has_children: false,
        });
        for f in d.layer_fields(li) {
            if f.value == Value::Empty {
                continue;
            }
            let text = if f.value == Value::None {
                f.name.to_string()
            } else {
                format!("{}: {}", f.name, d.value_string(frame, f))
            };
            items.push(TreeItem {
                depth: f.depth.saturating_add(1),
                text,
                buffer: f.buffer,
                range: f.range.clone(),
                has_children: false,
            });
        }
    }
    if !d.diagnostics.is_empty() {
        items.push(TreeItem {
            depth: 0,
            text: "diagnostics".into(),
            buffer: BufferId::Frame,
            range: 0..0,
            has_children: false,
        });
        for p in &d.diagnostics {
            let g = &p.diag;
            let sev = match g.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let start = u32::try_from(g.offset).unwrap_or(0);
            items.push(TreeItem {
                depth: 1,
                text: format!(
                    "[{sev}] {} {} at {}: {}",
                    g.field,
                    g.clause.unwrap_or(""),
                    g.offset,
                    g.detail
                ),
                buffer: p.buffer,
                range: start..start.saturating_add(1),
                has_children: false,
            });
        }
    }
    for i in 0..items.len() {
        let next = items.get(i + 1).map(|n| n.depth);
        items[i].has_children = next.is_some_and(|n| n > items[i].depth);
    }
    items
}

/// A running filter rescan.
struct Rescan {
    rx: Receiver<Result<Vec<bool>, String>>,
    upto: usize,
    cancel: Arc<AtomicBool>,
}

/// The whole UI state.
pub struct App {
    shared: Arc<Shared>,
    rx: Receiver<Msg>,
    config: Config,
    keys: Keys,
    /// Name of the input (title).
    pub name: String,
    ring: VecDeque<Row>,
    ring_cap: usize,
    cache: HashMap<u64, Row>,
    /// Displayed packet numbers, ascending.
    pub view: Vec<u64>,
    gen: u32,
    /// Selected index in `view`.
    pub sel: usize,
    top: usize,
    /// Keep the newest packet selected.
    pub follow: bool,
    /// Focused pane.
    pub focus: Pane,
    side: Pane,
    side_scroll: usize,
    /// Findings so far.
    pub findings: Vec<Finding>,
    finding_sel: usize,
    frame_sev: HashMap<u64, u8>,
    stats: Option<Box<Stats>>,
    /// RFC 5265 inside/outside state per mobile-node interface (from the checker).
    nodes: Vec<dissector::check::MobileNode>,
    /// The opened packet.
    pub detail: Option<Detail>,
    /// Line being typed.
    pub input: Input,
    /// Syntax error of the filter being typed.
    pub input_error: Option<String>,
    /// Last message for the status bar.
    pub status: String,
    /// Help overlay shown.
    pub help: bool,
    /// The input ended (with an error message, if any).
    pub done: Option<Option<String>>,
    rescan: Option<Rescan>,
    /// The display filter in force.
    pub filter_text: String,
    /// `q` was pressed.
    pub quit: bool,
    search: String,
    save_rx: Option<Receiver<String>>,
    first_ts: Option<dissector::capture::Timestamp>,
}

impl App {
    /// A UI over `shared`, fed by `rx`; `config` and `keys` re-dissect packets on demand.
    pub fn new(
        shared: Arc<Shared>,
        rx: Receiver<Msg>,
        config: Config,
        keys: Keys,
        name: String,
        ring: usize,
        filter_text: String,
    ) -> Self {
        App {
            shared,
            rx,
            config,
            keys,
            name,
            ring: VecDeque::new(),
            ring_cap: ring.max(1),
            cache: HashMap::new(),
            view: Vec::new(),
            gen: 0,
            sel: 0,
            top: 0,
            follow: false,
            focus: Pane::List,
            side: Pane::Findings,
            side_scroll: 0,
            findings: Vec::new(),
            finding_sel: 0,
            frame_sev: HashMap::new(),
            stats: None,
            nodes: Vec::new(),
            detail: None,
            input: Input::None,
            input_error: None,
            status: String::new(),
            help: false,
            done: None,
            rescan: None,
            filter_text,
            quit: false,
            search: String::new(),
            save_rx: None,
            first_ts: None,
        }
    }

    /// Rows kept in the ring (for tests of the bound).
    pub fn ring_len(&self) -> usize {
        self.ring.len()
    }

    /// Applies pending messages (bounded per call) and finished background jobs.
    pub fn tick(&mut self) {
        let t0 = std::time::Instant::now();
        for i in 0..MAX_MSGS_PER_TICK {
            if i % 256 == 255 && t0.elapsed() > TICK_BUDGET {
                break;
            }
            match self.rx.try_recv() {
                Ok(m) => self.apply(m),
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => break,
            }
        }
        if let Some(r) = &self.rescan {
            match r.rx.try_recv() {
                Ok(Ok(flags)) => {
                    let upto = r.upto;
                    self.rescan = None;
                    self.rebuild_view(&flags, upto);
                    self.status = format!(
                        "filter applied: {} of {} packets shown",
                        self.view.len(),
                        self.shared.len()
                    );
                }
                Ok(Err(e)) => {
                    self.rescan = None;
                    self.status = format!("filter rescan failed: {e}");
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.rescan = None,
            }
        }
        if let Some(rx) = &self.save_rx {
            if let Ok(m) = rx.try_recv() {
                self.status = m;
                self.save_rx = None;
            }
        }
        if self.follow && !self.view.is_empty() {
            self.sel = self.view.len() - 1;
        }
    }

    /// Drains every pending message and waits for background jobs (tests, scripts).
    pub fn settle(&mut self) {
        loop {
            self.tick();
            let busy = self.rescan.is_some() || self.save_rx.is_some();
            if !busy && self.done.is_some() {
                match self.rx.try_recv() {
                    Ok(m) => self.apply(m),
                    Err(_) => break,
                }
            } else {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }

    /// Asks the reader to stop (quitting).
    pub fn request_stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// Removes the spill file of a stream now (before leaving without unwinding).
    pub fn remove_spill(&self) {
        if let source::Store::Spill(p) = &self.shared.store {
            let _ = std::fs::remove_file(p);
        }
    }

    /// True while a rescan or save runs.
    pub fn busy(&self) -> bool {
        self.rescan.is_some() || self.save_rx.is_some()
    }

    fn apply(&mut self, m: Msg) {
        match m {
            Msg::Row(row) => {
                let n = row.number;
                if self.first_ts.is_none() {
                    self.first_ts = self.shared.entry(1).map(|e| e.ts);
                }
                self.ring.push_back(row);
                while self.ring.len() > self.ring_cap {
                    self.ring.pop_front();
                }
                if let Some(e) = self.shared.entry(n) {
                    let covered = self.rescan.as_ref().is_some_and(|r| (n as usize) <= r.upto);
                    if !covered && e.gen == self.gen && e.matched {
                        self.view.push(n);
                    }
                }
            }
            Msg::Finding(f) => {
                let r = source::sev_rank(f.severity);
                let e = self.frame_sev.entry(f.frame).or_insert(0);
                *e = (*e).max(r);
                self.findings.push(f);
            }
            Msg::Stats(s) => self.stats = Some(s),
            Msg::Nodes(n) => self.nodes = n,
            Msg::Done(e) => {
                if let Some(e) = &e {
                    self.status = format!("input error: {e}");
                }
                self.done = Some(e);
            }
        }
    }

    fn rebuild_view(&mut self, flags: &[bool], upto: usize) {
        let keep = self.view.get(self.sel).copied();
        let mut v: Vec<u64> = flags
            .iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .map(|(i, _)| i as u64 + 1)
            .collect();
        if let Ok(idx) = self.shared.index.read() {
            for (i, e) in idx.iter().enumerate().skip(upto) {
                if e.gen == self.gen && e.matched {
                    v.push(i as u64 + 1);
                }
            }
        }
        self.view = v;
        self.sel = keep
            .map_or(0, |k| self.view.partition_point(|&x| x < k))
            .min(self.view.len().saturating_sub(1));
        self.detail = None;
    }

    fn dissector(&self) -> Dissector {
        Dissector::new(self.config.clone(), self.keys.clone())
    }

    /// Sets the display filter: compiles it, swaps it in for the reader, and re-evaluates
    /// the packets read so far on a background thread.
    pub fn set_filter(&mut self, text: &str) -> Result<(), String> {
        let text = text.trim();
        let compile = |t: &str| {
            if t.is_empty() {
                Ok(None)
            } else {
                Filter::compile(t).map(Some).map_err(|e| e.to_string())
            }
        };
        let for_reader = compile(text)?;
        let for_job = compile(text)?;
        let upto;
        {
            let Ok(mut fs) = self.shared.filter.lock() else {
                return Err("filter lock poisoned".into());
            };
            fs.filter = for_reader;
            fs.gen = fs.gen.wrapping_add(1);
            self.gen = fs.gen;
            upto = self.shared.len();
        }
        if let Some(r) = self.rescan.take() {
            r.cancel.store(true, Ordering::Relaxed);
        }
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let (shared, dis, c) = (self.shared.clone(), self.dissector(), cancel.clone());
        std::thread::spawn(move || {
            let _ = tx.send(source::rescan(&shared, dis, for_job.as_ref(), upto, &c));
        });
        self.rescan = Some(Rescan { rx, upto, cancel });
        self.filter_text = text.to_string();
        self.view.clear();
        self.detail = None;
        self.status = if text.is_empty() {
            "filter cleared".into()
        } else {
            format!("filtering: {text}")
        };
        Ok(())
    }

    /// The summary row of packet `n` (from the ring, the cache, or re-read).
    pub fn row(&mut self, n: u64) -> Option<Row> {
        if let Some(front) = self.ring.front().map(|r| r.number) {
            if n >= front {
                if let Some(r) = self.ring.get((n - front) as usize) {
                    return Some(r.clone());
                }
            }
        }
        if let Some(r) = self.cache.get(&n) {
            return Some(r.clone());
        }
        let e = self.shared.entry(n)?;
        let data = self.shared.load(&e).ok()?;
        let mut d = Dissection::default();
        let mut dis = self.dissector();
        dis.set_time(e.ts.as_f64());
        dis.dissect(e.linktype, &data, e.orig_len as usize, &mut d);
        let row = make_row(
            n,
            e.ts,
            self.first_ts.unwrap_or(e.ts),
            e.orig_len,
            &d,
            &data,
        );
        if self.cache.len() >= ROW_CACHE {
            self.cache.clear();
        }
        self.cache.insert(n, row.clone());
        Some(row)
    }

    /// Opens packet `n`: re-reads its octets and dissects it.
    pub fn open(&mut self, n: u64) {
        let mut det = Detail {
            number: n,
            frame: Vec::new(),
            d: Dissection::default(),
            items: Vec::new(),
            collapsed: HashSet::new(),
            sel: 0,
            error: None,
        };
        match self
            .shared
            .entry(n)
            .ok_or_else(|| format!("no packet {n}"))
            .and_then(|e| self.shared.load(&e).map(|d| (e, d)))
        {
            Ok((e, data)) => {
                let mut dis = self.dissector();
                dis.set_time(e.ts.as_f64());
                dis.dissect(e.linktype, &data, e.orig_len as usize, &mut det.d);
                det.items = tree_items(&det.d, &data);
                det.frame = data;
            }
            Err(e) => det.error = Some(e),
        }
        self.detail = Some(det);
    }

    /// Opens the selected packet if it is not open yet (what drawing does first).
    pub fn draw_once(&mut self) {
        self.ensure_detail();
    }

    /// The selected packet number.
    pub fn selected(&self) -> Option<u64> {
        self.view.get(self.sel).copied()
    }

    fn ensure_detail(&mut self) {
        let want = self.selected();
        if want != self.detail.as_ref().map(|d| d.number) {
            match want {
                Some(n) => self.open(n),
                None => self.detail = None,
            }
        }
    }

    /// Selects packet `n` (or the first displayed one after it).
    pub fn goto(&mut self, n: u64) {
        if self.view.is_empty() {
            return;
        }
        let i = self
            .view
            .partition_point(|&x| x < n)
            .min(self.view.len() - 1);
        self.sel = i;
        self.follow = false;
        if self.view[i] != n {
            self.status = format!("packet {n} is not displayed; showing {}", self.view[i]);
        }
    }

    fn jump_finding(&mut self, forward: bool) {
        let cur = self.selected().unwrap_or(0);
        let pick = if forward {
            self.findings
                .iter()
                .enumerate()
                .filter(|(_, f)| f.frame > cur)
                .min_by_key(|(_, f)| f.frame)
        } else {
            self.findings
                .iter()
                .enumerate()
                .filter(|(_, f)| f.frame < cur)
                .max_by_key(|(_, f)| f.frame)
        };
        match pick {
            Some((i, f)) => {
                let (fr, msg) = (f.frame, format!("{} {}", f.rule, f.message));
                self.finding_sel = i;
                self.goto(fr);
                self.status = format!("finding at frame {fr}: {msg}");
            }
            None => self.status = "no more findings".into(),
        }
    }

    fn search_next(&mut self) {
        let needle = self.search.to_lowercase();
        if needle.is_empty() || self.view.is_empty() {
            return;
        }
        let len = self.view.len();
        for k in 1..=len {
            let i = (self.sel + k) % len;
            let n = self.view[i];
            if let Some(r) = self.row(n) {
                let hay = format!("{} {} {} {}", r.src, r.dst, r.proto, r.info).to_lowercase();
                if hay.contains(&needle) {
                    self.sel = i;
                    self.follow = false;
                    self.status = format!("found {:?} in packet {n}", self.search);
                    return;
                }
            }
        }
        self.status = format!("{:?} not found", self.search);
    }

    /// Saves the displayed packets to `path` (pcapng, findings as packet comments) on a
    /// background thread.
    pub fn save(&mut self, path: &str) {
        let view = self.view.clone();
        let mut comments: HashMap<u64, String> = HashMap::new();
        for f in &self.findings {
            let c = comments.entry(f.frame).or_default();
            if !c.is_empty() {
                c.push_str("; ");
            }
            c.push_str(&format!("{} {:?}: {}", f.rule, f.severity, f.message));
        }
        let shared = self.shared.clone();
        let path = PathBuf::from(path);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let r = (|| -> Result<usize, String> {
                let f = std::fs::File::create(&path).map_err(|e| e.to_string())?;
                let mut w =
                    CaptureWriter::pcapng(std::io::BufWriter::new(f)).map_err(|e| e.to_string())?;
                let mut k = 0;
                for n in view {
                    let Some(e): Option<Entry> = shared.entry(n) else {
                        continue;
                    };
                    let data = shared.load(&e)?;
                    let p = Packet {
                        ts: e.ts,
                        linktype: e.linktype,
                        interface: 0,
                        orig_len: e.orig_len,
                        data: &data,
                        comment: comments.get(&n).map(String::as_str),
                    };
                    w.write(&p).map_err(|e| e.to_string())?;
                    k += 1;
                }
                w.finish().map_err(|e| e.to_string())?;
                Ok(k)
            })();
            let _ = tx.send(match r {
                Ok(k) => format!("saved {k} packets to {}", path.display()),
                Err(e) => format!("save failed: {e}"),
            });
        });
        self.save_rx = Some(rx);
        self.status = "saving…".into();
    }

    /// Handles one key press.
    pub fn key(&mut self, k: KeyEvent) {
        if self.help {
            self.help = false;
            return;
        }
        if self.input != Input::None {
            self.key_input(k);
            return;
        }
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        match k.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Tab => self.cycle(1),
            KeyCode::BackTab => self.cycle(CYCLE.len() - 1),
            KeyCode::Char('/') | KeyCode::Char('Y') => {
                self.input = Input::Filter(self.filter_text.clone());
                self.input_error = None;
            }
            KeyCode::Char('s') => self.input = Input::Search(self.search.clone()),
            KeyCode::Char('g') => self.input = Input::Goto(String::new()),
            KeyCode::Char('w') => self.input = Input::Save(DEFAULT_SAVE.into()),
            KeyCode::Char('f') => {
                self.follow = !self.follow;
                self.status = if self.follow {
                    "following".into()
                } else {
                    "paused".into()
                };
            }
            KeyCode::Char('n') => self.jump_finding(true),
            KeyCode::Char('N') => self.jump_finding(false),
            _ => self.key_pane(k),
        }
    }

    fn cycle(&mut self, by: usize) {
        let i = CYCLE.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = CYCLE[(i + by) % CYCLE.len()];
        if matches!(self.focus, Pane::Findings | Pane::Bindings | Pane::Stats) {
            self.side = self.focus;
            self.side_scroll = 0;
        }
    }

    fn key_input(&mut self, k: KeyEvent) {
        let buf = match &mut self.input {
            Input::Filter(s) | Input::Search(s) | Input::Goto(s) | Input::Save(s) => s,
            Input::None => return,
        };
        match k.code {
            KeyCode::Esc => {
                self.input = Input::None;
                self.input_error = None;
                return;
            }
            KeyCode::Backspace => {
                buf.pop();
            }
            KeyCode::Char(c) => buf.push(c),
            KeyCode::Enter => {
                let text = buf.clone();
                match std::mem::replace(&mut self.input, Input::None) {
                    Input::Filter(_) => {
                        if let Err(e) = self.set_filter(&text) {
                            self.input = Input::Filter(text);
                            self.input_error = Some(e);
                        } else {
                            self.input_error = None;
                        }
                    }
                    Input::Search(_) => {
                        self.search = text;
                        self.search_next();
                    }
                    Input::Goto(_) => match text.trim().parse::<u64>() {
                        Ok(n) => {
                            self.goto(n);
                        }
                        Err(_) => self.status = format!("not a packet number: {text:?}"),
                    },
                    Input::Save(_) => self.save(text.trim()),
                    Input::None => {}
                }
                return;
            }
            _ => {}
        }
        if let Input::Filter(t) = &self.input {
            let t = t.trim();
            self.input_error = if t.is_empty() {
                None
            } else {
                Filter::compile(t).err().map(|e| e.to_string())
            };
        }
    }

    fn key_pane(&mut self, k: KeyEvent) {
        let page = 20usize;
        let delta: isize = match k.code {
            KeyCode::Up | KeyCode::Char('k') => -1,
            KeyCode::Down | KeyCode::Char('j') => 1,
            KeyCode::PageUp => -(page as isize),
            KeyCode::PageDown => page as isize,
            KeyCode::Home => isize::MIN / 2,
            KeyCode::End => isize::MAX / 2,
            _ => 0,
        };
        let step = |cur: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (cur as isize)
                .saturating_add(delta)
                .clamp(0, len as isize - 1) as usize
        };
        match self.focus {
            Pane::List => {
                if delta != 0 {
                    self.sel = step(self.sel, self.view.len());
                    self.follow = false;
                } else if k.code == KeyCode::Enter {
                    self.focus = Pane::Tree;
                }
            }
            Pane::Tree | Pane::Hex => {
                self.ensure_detail();
                let Some(det) = self.detail.as_mut() else {
                    return;
                };
                let vis = det.visible();
                let pos = vis.iter().position(|&i| i == det.sel).unwrap_or(0);
                if delta != 0 {
                    det.sel = vis.get(step(pos, vis.len())).copied().unwrap_or(0);
                }
                let has = det.items.get(det.sel).is_some_and(|i| i.has_children);
                match k.code {
                    KeyCode::Enter | KeyCode::Char(' ') if has => {
                        toggle(&mut det.collapsed, det.sel)
                    }
                    KeyCode::Left if has => {
                        det.collapsed.insert(det.sel);
                    }
                    KeyCode::Right => {
                        det.collapsed.remove(&det.sel);
                    }
                    _ => {}
                }
            }
            Pane::Findings => {
                if delta != 0 {
                    self.finding_sel = step(self.finding_sel, self.findings.len());
                } else if k.code == KeyCode::Enter {
                    if let Some(f) = self.findings.get(self.finding_sel) {
                        let n = f.frame;
                        self.goto(n);
                        self.focus = Pane::Tree;
                        self.status = format!("frame {n}");
                    }
                }
            }
            Pane::Bindings | Pane::Stats => {
                if delta != 0 {
                    self.side_scroll = step(self.side_scroll, 10_000);
                }
            }
        }
    }

    /// Draws the whole screen.
    pub fn draw(&mut self, f: &mut Frame<'_>) {
        self.ensure_detail();
        let [list, middle, bottom, status] = Layout::vertical([
            Constraint::Percentage(40),
            Constraint::Percentage(35),
            Constraint::Min(5),
            Constraint::Length(2),
        ])
        .areas(f.area());
        let [tree, hex] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(middle);
        self.draw_list(f, list);
        self.draw_tree(f, tree);
        self.draw_hex(f, hex);
        match self.side {
            Pane::Bindings => self.draw_bindings(f, bottom),
            Pane::Stats => self.draw_stats(f, bottom),
            _ => self.draw_findings(f, bottom),
        }
        self.draw_status(f, status);
        if self.help {
            draw_help(f);
        }
    }

    fn block(&self, pane: Pane, title: String) -> Block<'static> {
        let style = if self.focus == pane {
            Style::default().fg(Color::Yellow)
        } else {
            Style::default()
        };
        Block::default()
            .borders(Borders::ALL)
            .border_style(style)
            .title(title)
    }

    fn draw_list(&mut self, f: &mut Frame<'_>, area: Rect) {
        let h = area.height.saturating_sub(3) as usize;
        if self.sel < self.top {
            self.top = self.sel;
        } else if h > 0 && self.sel >= self.top + h {
            self.top = self.sel + 1 - h;
        }
        let end = (self.top + h).min(self.view.len());
        let mut rows = Vec::with_capacity(h);
        for i in self.top..end {
            let n = self.view[i];
            let Some(r) = self.row(n) else { continue };
            let sev = self
                .frame_sev
                .get(&n)
                .copied()
                .unwrap_or(0)
                .max(self.shared.entry(n).map_or(0, |e| e.diag));
            let mut style = match sev {
                3 => Style::default().fg(Color::Red),
                2 => Style::default().fg(Color::Yellow),
                _ => Style::default().fg(proto_color(&r.proto)),
            };
            if i == self.sel {
                style = style.add_modifier(Modifier::REVERSED);
            }
            rows.push(
                TRow::new(vec![
                    r.number.to_string(),
                    r.time,
                    r.src,
                    r.dst,
                    r.proto,
                    r.len.to_string(),
                    r.info,
                ])
                .style(style),
            );
        }
        let widths = [
            Constraint::Length(7),
            Constraint::Length(12),
            Constraint::Length(17),
            Constraint::Length(17),
            Constraint::Length(6),
            Constraint::Length(5),
            Constraint::Min(10),
        ];
        let state = if self.rescan.is_some() {
            " filtering…"
        } else if self.follow {
            " following"
        } else {
            ""
        };
        let title = format!(
            " Packets {}/{}{} ",
            self.view.len(),
            self.shared.len(),
            state
        );
        let header = TRow::new(vec![
            "No.",
            "Time",
            "Source",
            "Destination",
            "Proto",
            "Len",
            "Info",
        ])
        .style(Style::default().add_modifier(Modifier::BOLD));
        let t = Table::new(rows, widths)
            .header(header)
            .block(self.block(Pane::List, title));
        f.render_widget(t, area);
    }

    fn draw_tree(&mut self, f: &mut Frame<'_>, area: Rect) {
        let h = area.height.saturating_sub(2) as usize;
        let focus_style = self.block(Pane::Tree, String::new());
        let Some(det) = self.detail.as_ref() else {
            f.render_widget(
                Paragraph::new("no packet selected").block(focus_style.title(" Tree ")),
                area,
            );
            return;
        };
        let title = format!(" Frame {} ", det.number);
        if let Some(e) = &det.error {
            f.render_widget(
                Paragraph::new(e.clone()).block(focus_style.title(title)),
                area,
            );
            return;
        }
        let vis = det.visible();
        let pos = vis.iter().position(|&i| i == det.sel).unwrap_or(0);
        let top = if h == 0 {
            0
        } else {
            pos.saturating_sub(h.saturating_sub(1))
        };
        let lines: Vec<Line> = vis
            .iter()
            .skip(top)
            .take(h)
            .map(|&i| {
                let it = &det.items[i];
                let marker = if !it.has_children {
                    "  "
                } else if det.collapsed.contains(&i) {
                    "▸ "
                } else {
                    "▾ "
                };
                let text = format!("{}{}{}", "  ".repeat(it.depth as usize), marker, it.text);
                let mut style = if it.depth == 0 {
                    Style::default().add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                };
                if i == det.sel {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                Line::styled(text, style)
            })
            .collect();
        f.render_widget(Paragraph::new(lines).block(focus_style.title(title)), area);
    }

    /// The highlighted octets of the opened packet: (buffer, range).
    pub fn highlight(&self) -> Option<(BufferId, Range<u32>)> {
        let det = self.detail.as_ref()?;
        det.selected().map(|i| (i.buffer, i.range.clone()))
    }

    fn draw_hex(&mut self, f: &mut Frame<'_>, area: Rect) {
        let h = area.height.saturating_sub(2) as usize;
        let block = self.block(Pane::Hex, " Hex ".into());
        let Some(det) = self.detail.as_ref() else {
            f.render_widget(Paragraph::new("").block(block), area);
            return;
        };
        let (buf_id, range) = det
            .selected()
            .map_or((BufferId::Frame, 0..0), |i| (i.buffer, i.range.clone()));
        let buf = det.d.buffer(&det.frame, buf_id);
        let first_line = (range.start as usize) / 16;
        let top = first_line.saturating_sub(h / 3);
        let hl = Style::default().add_modifier(Modifier::REVERSED);
        let mut lines = Vec::new();
        for line in top..top + h {
            let off = line * 16;
            if off >= buf.len() {
                break;
            }
            let chunk = &buf[off..(off + 16).min(buf.len())];
            let mut spans = vec![Span::raw(format!("{off:04x}  "))];
            for (j, b) in chunk.iter().enumerate() {
                let at = (off + j) as u32;
                let s = if range.contains(&at) {
                    hl
                } else {
                    Style::default()
                };
                spans.push(Span::styled(format!("{b:02x}"), s));
                spans.push(Span::raw(if j == 7 { "  " } else { " " }));
            }
            spans.push(Span::raw("   ".repeat(16 - chunk.len())));
            spans.push(Span::raw(" "));
            for (j, b) in chunk.iter().enumerate() {
                let at = (off + j) as u32;
                let s = if range.contains(&at) {
                    hl
                } else {
                    Style::default()
                };
                let c = if b.is_ascii_graphic() || *b == b' ' {
                    *b as char
                } else {
                    '.'
                };
                spans.push(Span::styled(c.to_string(), s));
            }
            lines.push(Line::from(spans));
        }
        let title = match buf_id {
            BufferId::Frame => format!(" Hex: frame, bytes {}..{} ", range.start, range.end),
            BufferId::Derived(i) => {
                format!(" Hex: buffer {i}, bytes {}..{} ", range.start, range.end)
            }
        };
        f.render_widget(Paragraph::new(lines).block(block.title(title)), area);
    }

    fn draw_findings(&mut self, f: &mut Frame<'_>, area: Rect) {
        let h = area.height.saturating_sub(2) as usize;
        let top = self.finding_sel.saturating_sub(h.saturating_sub(1));
        let lines: Vec<Line> = self
            .findings
            .iter()
            .enumerate()
            .skip(top)
            .take(h)
            .map(|(i, x)| {
                let (sev, color) = match x.severity {
                    Severity::Error => ("error", Color::Red),
                    Severity::Warning => ("warning", Color::Yellow),
                    Severity::Info => ("info", Color::Cyan),
                };
                let mut style = Style::default().fg(color);
                if i == self.finding_sel && self.focus == Pane::Findings {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                Line::styled(
                    format!(
                        "frame {:>6}  {sev:<7} {:<10} {}",
                        x.frame, x.rule, x.message
                    ),
                    style,
                )
            })
            .collect();
        let title = format!(" Findings ({}) | Bindings | Stats ", self.findings.len());
        f.render_widget(
            Paragraph::new(lines).block(self.block(Pane::Findings, title)),
            area,
        );
    }

    /// The lines of the bindings pane.
    pub fn binding_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(s) = self.stats.as_ref() else {
            out.push("no statistics yet".into());
            return out;
        };
        out.push(format!("MVTP mobility bindings ({})", s.bindings.len()));
        for b in &s.bindings {
            out.push(format!(
                "  gid {} leid {} cid {} care-of {} server {} state {} (frame {})",
                b.gid, b.leid, b.connect_id, b.care_of, b.server, b.state, b.last_frame
            ));
        }
        out.push(format!("L2TP tunnels ({})", s.tunnels.len()));
        for t in &s.tunnels {
            let sessions: Vec<String> = t.sessions.iter().map(u64::to_string).collect();
            out.push(format!(
                "  tunnel {} {} data {} sessions [{}]",
                t.tunnel,
                t.endpoints,
                t.data,
                sessions.join(", ")
            ));
        }
        out.push(format!("MIP bindings ({})", s.mip_bindings.len()));
        for m in &s.mip_bindings {
            let code = m.code.map_or("-".to_string(), |c| c.to_string());
            let life = m.lifetime.map_or("-".to_string(), |c| c.to_string());
            out.push(format!(
                "  home {} HA {} care-of {} code {code} lifetime {life}{}",
                m.home,
                m.home_agent,
                m.care_of,
                if m.tnc { " TNC" } else { "" }
            ));
        }
        out.push(format!("RFC 5265 mobile nodes ({})", self.nodes.len()));
        for n in &self.nodes {
            let state = match (n.inside, &n.care_of, n.since_frame) {
                (true, Some(c), Some(f)) => format!("inside (care-of {c}, TNC in frame {f})"),
                (true, _, Some(f)) => format!("inside (TNC in frame {f})"),
                (true, _, None) => "inside".to_string(),
                (false, _, _) => "outside".to_string(),
            };
            let list = |v: &[String]| if v.is_empty() { "-".to_string() } else { v.join(", ") };
            out.push(format!(
                "  {} {state}  i-HA {}  x-HA {}",
                n.interface,
                list(&n.internal_home_agents),
                list(&n.external_home_agents)
            ));
        }
        out
    }

    fn draw_bindings(&mut self, f: &mut Frame<'_>, area: Rect) {
        let lines: Vec<Line> = self
            .binding_lines()
            .into_iter()
            .skip(self.side_scroll)
            .map(Line::raw)
            .collect();
        f.render_widget(
            Paragraph::new(lines)
                .block(self.block(Pane::Bindings, " Findings | Bindings | Stats ".into())),
            area,
        );
    }

    fn draw_stats(&mut self, f: &mut Frame<'_>, area: Rect) {
        let text = self
            .stats
            .as_ref()
            .map_or_else(|| "no statistics yet".to_string(), |s| s.render_text());
        let lines: Vec<Line> = text
            .lines()
            .skip(self.side_scroll)
            .map(|l| Line::raw(l.to_string()))
            .collect();
        f.render_widget(
            Paragraph::new(lines)
                .block(self.block(Pane::Stats, " Findings | Bindings | Stats ".into())),
            area,
        );
    }

    fn draw_status(&mut self, f: &mut Frame<'_>, area: Rect) {
        let (prompt, text) = match &self.input {
            Input::Filter(s) => ("filter: ", s.as_str()),
            Input::Search(s) => ("search: ", s.as_str()),
            Input::Goto(s) => ("go to packet: ", s.as_str()),
            Input::Save(s) => ("save displayed packets to: ", s.as_str()),
            Input::None => ("", ""),
        };
        let first = if self.input != Input::None {
            Line::from(vec![
                Span::styled(prompt, Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(text.to_string()),
                Span::raw("█"),
            ])
        } else {
            let state = match &self.done {
                None => "reading",
                Some(None) => "end of input",
                Some(Some(_)) => "input error",
            };
            let filt = if self.filter_text.is_empty() {
                "none".to_string()
            } else {
                self.filter_text.clone()
            };
            Line::raw(format!(
                "{} | {state} | filter: {filt} | {} findings | ? help, q quit",
                self.name,
                self.findings.len()
            ))
        };
        let second = match &self.input_error {
            Some(e) if matches!(self.input, Input::Filter(_)) => Line::styled(
                format!("syntax error: {}", e.replace('\n', " ")),
                Style::default().fg(Color::Red),
            ),
            _ => Line::raw(self.status.clone()),
        };
        f.render_widget(Paragraph::new(vec![first, second]), area);
    }
}

/// Adds `i` to `set`, or removes it when present.
fn toggle(set: &mut HashSet<usize>, i: usize) {
    if !set.remove(&i) {
        set.insert(i);
    }
}

/// Colour of a protocol in the packet list.
pub fn proto_color(p: &str) -> Color {
    match p {
        "mvtp" => Color::Cyan,
        "l2tp" | "ppp" | "lcp" | "ipcp" => Color::Magenta,
        "mip" => Color::Green,
        "esp" | "ah" | "ike" => Color::Blue,
        _ => Color::Reset,
    }
}

/// The help text.
pub const HELP: &[&str] = &[
    "mvtp tui — keys",
    "",
    "  Tab / Shift-Tab   next / previous pane (packets, tree, hex, findings, bindings, stats)",
    "  ↑ ↓ PgUp PgDn     move in the focused pane; Home / End first / last",
    "  Enter             packets: open the tree; tree: expand/collapse; findings: jump to frame",
    "  ← →               tree: collapse / expand",
    "  / or Y            display filter (Wireshark syntax; empty clears it)",
    "  s                 search the summaries (again: s Enter)",
    "  g                 go to packet number",
    "  n / N             next / previous finding",
    "  f                 follow the newest packet / pause",
    "  w                 save the displayed packets to pcapng (findings as comments)",
    "  ?                 this help;  q  quit",
    "",
    "  any key closes this help",
];

fn draw_help(f: &mut Frame<'_>) {
    let a = f.area();
    let w = a.width.min(96);
    let h = (HELP.len() as u16 + 2).min(a.height);
    let r = Rect {
        x: a.x + (a.width - w) / 2,
        y: a.y + (a.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    let lines: Vec<Line> = HELP.iter().map(|l| Line::raw(*l)).collect();
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Help ")),
        r,
    );
}
