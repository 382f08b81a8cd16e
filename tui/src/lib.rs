//! # mvtp tui
//!
//! A terminal UI for MVTP captures (termshark-like): packet list, layer tree, hex, live
//! conformance findings, mobility bindings and statistics. A reader thread reads, dissects,
//! judges and counts; the UI thread only draws and answers keys (see `docs/tui.md`).
#![forbid(unsafe_code)]

pub mod app;
pub mod source;

use app::App;
use dissector::capture::{CaptureReader, Format};
use dissector::filter::Filter;
use dissector::Dissector;
use source::{Shared, Store};
use std::io::Read;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// Packet rows kept in memory by default (`--ring`).
pub const DEFAULT_RING: usize = 100_000;
/// Longest wait for a key before redrawing: 50 ms (20 frames per second).
const FRAME: Duration = Duration::from_millis(50);

/// How the UI is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// Input name for the title.
    pub name: String,
    /// The capture file (None: a stream, spilled to a temporary file).
    pub path: Option<PathBuf>,
    /// Summary rows kept in memory.
    pub ring: usize,
    /// Initial display filter.
    pub filter: Option<String>,
    /// Start in follow mode.
    pub follow: bool,
}

/// What [`setup`] returns: the UI, the shared state, the reader's sender, the spill file.
pub type Setup = (
    App,
    Arc<Shared>,
    mpsc::Sender<source::Msg>,
    Option<std::fs::File>,
);

/// Sets up the shared state and the UI for a reader: the UI, and what
/// [`source::reader_loop`] needs (shared state, sender, the spill file of a stream).
pub fn setup<R: Read>(
    reader: &CaptureReader<R>,
    dissector: &Dissector,
    opts: &Options,
) -> Result<Setup, String> {
    let filter = match opts
        .filter
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(t) => Some(Filter::compile(t).map_err(|e| format!("-Y: {e}"))?),
        None => None,
    };
    let (store, spill) = match &opts.path {
        Some(p) => (
            Store::File {
                path: p.clone(),
                pcap: matches!(reader.format(), Format::Pcap { .. }),
            },
            None,
        ),
        None => {
            let tmp = tempfile::NamedTempFile::new().map_err(|e| format!("spill file: {e}"))?;
            let (file, path) = tmp.keep().map_err(|e| format!("spill file: {e}"))?;
            (Store::Spill(path), Some(file))
        }
    };
    let shared = Shared::new(store, filter);
    let (tx, rx) = mpsc::channel();
    let mut app = App::new(
        shared.clone(),
        rx,
        dissector.config.clone(),
        dissector.keys.clone(),
        opts.name.clone(),
        opts.ring,
        opts.filter.clone().unwrap_or_default(),
    );
    app.follow = opts.follow;
    Ok((app, shared, tx, spill))
}

/// Reads a whole capture synchronously into a UI (tests and scripts): the reader runs on
/// this thread to the end, then the UI drains everything.
pub fn load_sync<R: Read>(
    reader: CaptureReader<R>,
    dissector: Dissector,
    opts: &Options,
) -> Result<App, String> {
    let (mut app, shared, tx, spill) = setup(&reader, &dissector, opts)?;
    source::reader_loop(reader, dissector, &shared, &tx, spill);
    app.settle();
    Ok(app)
}

/// Runs the terminal UI. The reader runs on this thread (the capture source need not be
/// `Send`); the UI runs on its own thread and never waits for the reader.
pub fn run<R: Read>(
    reader: CaptureReader<R>,
    dissector: Dissector,
    opts: Options,
) -> Result<(), String> {
    let (app, shared, tx, spill) = setup(&reader, &dissector, &opts)?;
    let ui_shared = shared.clone();
    let ui = std::thread::spawn(move || {
        let r = ui_loop(app);
        ui_shared
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        r
    });
    source::reader_loop(reader, dissector, &shared, &tx, spill);
    drop(tx);
    // The reader ended (end of input): the UI goes on until `q`.
    ui.join()
        .map_err(|_| "the UI thread panicked".to_string())
        .and_then(|r| r)
}

fn ui_loop(mut app: App) -> Result<(), String> {
    use crossterm::event::{self, Event, KeyEventKind};
    use crossterm::terminal::{
        disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
    };
    use crossterm::ExecutableCommand;
    let mut out = std::io::stdout();
    // A panic must not leave the terminal in raw mode on the alternate screen.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = disable_raw_mode();
        let _ = std::io::stdout().execute(LeaveAlternateScreen);
        previous(info);
    }));
    enable_raw_mode().map_err(|e| format!("terminal: {e}"))?;
    let _ = out.execute(EnterAlternateScreen);
    let restore = || {
        let _ = disable_raw_mode();
        let _ = std::io::stdout().execute(LeaveAlternateScreen);
    };
    let mut terminal =
        match ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout())) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(format!("terminal: {e}"));
            }
        };
    // Responsiveness figures for the benchmark script (docs/tui.md): frames drawn, and the
    // longest time from a key's arrival to the end of the next redraw.
    let bench = std::env::var_os("MVTP_TUI_BENCH");
    let started = std::time::Instant::now();
    let (mut frames, mut max_gap, mut max_key) = (0u64, Duration::ZERO, Duration::ZERO);
    let mut last_frame = started;
    let mut key_at: Option<std::time::Instant> = None;
    let result = loop {
        let frame_start = std::time::Instant::now();
        app.tick();
        if let Err(e) = terminal.draw(|f| app.draw(f)) {
            break Err(format!("terminal: {e}"));
        }
        let now = std::time::Instant::now();
        frames += 1;
        max_gap = max_gap.max(now - last_frame);
        last_frame = now;
        if let Some(k) = key_at.take() {
            max_key = max_key.max(now - k);
        }
        // Wait for a key for what is left of the frame period.
        match event::poll(
            FRAME
                .saturating_sub(frame_start.elapsed())
                .max(Duration::from_millis(1)),
        ) {
            Ok(true) => match event::read() {
                Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                    key_at = Some(std::time::Instant::now());
                    app.key(k)
                }
                Ok(_) => {}
                Err(e) => break Err(format!("terminal: {e}")),
            },
            Ok(false) => {}
            Err(e) => break Err(format!("terminal: {e}")),
        }
        if app.quit {
            break Ok(());
        }
    };
    restore();
    if let Some(path) = bench {
        let secs = started.elapsed().as_secs_f64();
        let line = format!(
            "frames={frames} seconds={secs:.2} fps={:.1} max_frame_gap_ms={} max_key_to_redraw_ms={} packets={}\n",
            frames as f64 / secs.max(1e-9),
            max_gap.as_millis(),
            max_key.as_millis(),
            app.view.len()
        );
        let _ = std::fs::write(path, line);
    }
    // A reader blocked on a pipe cannot be interrupted: leave without waiting for it.
    app.request_stop();
    for _ in 0..20 {
        app.tick();
        if app.done.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    if app.done.is_none() {
        app.remove_spill();
        std::process::exit(if result.is_ok() { 0 } else { 2 });
    }
    result
}
