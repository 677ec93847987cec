//! Showing builds as they run, in the three forms Nix has: `raw` (each
//! build's log lines as they come, after a `building '…'...` line), `bar`
//! (one status line: done / running / queued and the last log line of a
//! running build) and `json` (Nix's `internal-json` lines, for programs).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bstr::ByteSlice;
use cairn_store::path::{StoreDir, StorePath};
use serde_json::json;

use super::{BuildFailure, Progress};

/// How [`Display`] shows the builds (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Every log line, as printed.
    Raw,
    /// One status line, redrawn.
    Bar,
    /// Nix's `internal-json` activity lines (`@nix {…}`).
    Json,
}

/// Nix's activity and result type numbers (`ActivityType`, `ResultType`).
const ACT_BUILDS: u32 = 104;
const ACT_BUILD: u32 = 105;
const RES_BUILD_LOG_LINE: u32 = 101;
const RES_PROGRESS: u32 = 105;
/// The id of the activity counting all builds.
const BUILDS_ID: u64 = 1;
/// The bar is redrawn for log output at most this often.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// A [`Progress`] that shows the builds on stderr.
pub struct Display {
    store_dir: StoreDir,
    quiet: bool,
    state: Mutex<State>,
}

struct State {
    /// Decided when the plan is known, unless given.
    format: Option<LogFormat>,
    planned: usize,
    done: usize,
    failed: usize,
    running: BTreeMap<StorePath, Running>,
    next_id: u64,
    bar_shown: bool,
    last_draw: Option<Instant>,
}

struct Running {
    id: u64,
    partial: Vec<u8>,
    last_line: String,
}

impl Display {
    /// Shows builds in `format`; `None` chooses the bar on a terminal when
    /// there are several builds, raw output otherwise. `quiet` shows
    /// nothing but JSON.
    pub fn new(store_dir: StoreDir, format: Option<LogFormat>, quiet: bool) -> Display {
        Display {
            store_dir,
            quiet,
            state: Mutex::new(State {
                format,
                planned: 0,
                done: 0,
                failed: 0,
                running: BTreeMap::new(),
                next_id: BUILDS_ID + 1,
                bar_shown: false,
                last_draw: None,
            }),
        }
    }

    /// Removes the status line, before the caller prints results.
    pub fn clear(&self) {
        let mut state = self.lock();
        if state.bar_shown {
            let _ = std::io::stderr().write_all(b"\r\x1b[K");
            state.bar_shown = false;
        }
        if state.format == Some(LogFormat::Json) && state.planned > 0 {
            emit_json(&json!({"action": "stop", "id": BUILDS_ID}));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn shows(&self, state: &State) -> Option<LogFormat> {
        match state.format {
            Some(LogFormat::Json) => Some(LogFormat::Json),
            _ if self.quiet => None,
            format => Some(format.unwrap_or(LogFormat::Raw)),
        }
    }

    /// One complete log line of a running build.
    fn line(&self, state: &mut State, drv: &StorePath, line: &[u8]) {
        let text = line.to_str_lossy().into_owned();
        let id = state.running.get(drv).map_or(0, |r| r.id);
        match self.shows(state) {
            Some(LogFormat::Raw) => {
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(line);
                let _ = err.write_all(b"\n");
            }
            Some(LogFormat::Json) => emit_json(&json!({
                "action": "result", "id": id, "type": RES_BUILD_LOG_LINE, "fields": [text],
            })),
            Some(LogFormat::Bar) => {
                if let Some(running) = state.running.get_mut(drv) {
                    running.last_line = text;
                }
            }
            None => {}
        }
    }

    fn counts_changed(&self, state: &mut State) {
        match self.shows(state) {
            Some(LogFormat::Json) => emit_json(&json!({
                "action": "result", "id": BUILDS_ID, "type": RES_PROGRESS,
                "fields": [state.done, state.planned, state.running.len(), state.failed],
            })),
            Some(LogFormat::Bar) => self.draw(state),
            _ => {}
        }
    }

    fn draw(&self, state: &mut State) {
        let queued = state
            .planned
            .saturating_sub(state.done + state.failed + state.running.len());
        let mut line = format!(
            "[{} built, {} running, {} queued{}]",
            state.done,
            state.running.len(),
            queued,
            if state.failed > 0 {
                format!(", {} failed", state.failed)
            } else {
                String::new()
            }
        );
        if let Some((drv, running)) = state.running.iter().next_back() {
            let name = drv.name().as_str().trim_end_matches(".drv");
            line.push_str(&format!(" {name}> {}", running.last_line));
        }
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .unwrap_or(80)
            .max(20);
        let line: String = line.chars().take(width - 1).collect();
        let _ = write!(std::io::stderr().lock(), "\r\x1b[K{line}");
        state.bar_shown = true;
        state.last_draw = Some(Instant::now());
    }

    /// Prints a whole line above the bar (or as is, without one).
    fn message(&self, state: &mut State, text: &str) {
        let mut err = std::io::stderr().lock();
        if state.bar_shown {
            let _ = err.write_all(b"\r\x1b[K");
            state.bar_shown = false;
        }
        let _ = writeln!(err, "{text}");
    }
}

fn emit_json(value: &serde_json::Value) {
    let _ = writeln!(std::io::stderr().lock(), "@nix {value}");
}

impl Progress for Display {
    fn planned(&self, builds: usize) {
        let mut state = self.lock();
        state.planned = builds;
        if state.format.is_none() {
            let terminal = std::io::stderr().is_terminal();
            state.format = Some(if terminal && builds > 1 {
                LogFormat::Bar
            } else {
                LogFormat::Raw
            });
        }
        if state.format == Some(LogFormat::Json) && builds > 0 {
            emit_json(&json!({
                "action": "start", "id": BUILDS_ID, "level": 0, "parent": 0,
                "text": "", "type": ACT_BUILDS, "fields": [],
            }));
        }
        if builds > 0 {
            self.counts_changed(&mut state);
        }
    }

    fn started(&self, drv: &StorePath, _log: &Path) {
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.running.insert(
            drv.clone(),
            Running {
                id,
                partial: Vec::new(),
                last_line: String::new(),
            },
        );
        let shown = self.store_dir.display_path(drv);
        match self.shows(&state) {
            Some(LogFormat::Raw) => self.message(&mut state, &format!("building '{shown}'...")),
            Some(LogFormat::Json) => emit_json(&json!({
                "action": "start", "id": id, "level": 3, "parent": 0,
                "text": format!("building '{shown}'"), "type": ACT_BUILD,
                "fields": [shown, "", 1, 1],
            })),
            _ => {}
        }
        self.counts_changed(&mut state);
    }

    fn log(&self, drv: &StorePath, chunk: &[u8]) {
        let mut state = self.lock();
        let Some(running) = state.running.get_mut(drv) else {
            return;
        };
        running.partial.extend_from_slice(chunk);
        let Some(end) = running.partial.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let rest = running.partial.split_off(end + 1);
        let complete = std::mem::replace(&mut running.partial, rest);
        for line in complete[..end].split(|&b| b == b'\n') {
            self.line(&mut state, drv, line);
        }
        if self.shows(&state) == Some(LogFormat::Bar)
            && state.last_draw.is_none_or(|t| t.elapsed() >= REDRAW_EVERY)
        {
            self.draw(&mut state);
        }
    }

    fn finished(&self, drv: &StorePath, failure: Option<&BuildFailure>) {
        let mut state = self.lock();
        let partial = state
            .running
            .get_mut(drv)
            .map(|r| std::mem::take(&mut r.partial))
            .unwrap_or_default();
        if !partial.is_empty() {
            self.line(&mut state, drv, &partial);
        }
        let id = state.running.remove(drv).map(|r| r.id);
        match failure {
            None => state.done += 1,
            Some(_) => state.failed += 1,
        }
        if let (Some(id), Some(LogFormat::Json)) = (id, self.shows(&state)) {
            emit_json(&json!({"action": "stop", "id": id}));
        }
        self.counts_changed(&mut state);
    }
}
