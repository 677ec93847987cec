//! Rendering [`EvalError`]s for humans, with ariadne.

use ariadne::{Config, Label, Report, ReportKind, Source};

use crate::error::EvalError;
use crate::span::SourceMap;

/// Renders `err` (message, source excerpt with the span underlined, trace)
/// to a plain-text string, ready to print.
pub fn render(err: &EvalError, sources: &SourceMap) -> String {
    let mut out = Vec::new();
    let file = err.span().and_then(|s| sources.get(s.file).map(|f| (s, f)));
    match file {
        Some((span, f)) => {
            let start = char_offset(&f.text, span.start as usize);
            let end = char_offset(&f.text, span.end as usize).max(start);
            let name = f.name.clone();
            let mut report = Report::build(ReportKind::Error, (name.clone(), start..end))
                .with_config(Config::default().with_color(false))
                .with_message(err.to_string())
                .with_label(Label::new((name.clone(), start..end)).with_message("here"));
            for frame in err.trace() {
                let at = frame
                    .span
                    .and_then(|s| sources.line_col(s).map(|(l, c)| (s, l, c)))
                    .and_then(|(s, l, c)| {
                        sources
                            .get(s.file)
                            .map(|f| format!(" at {}:{l}:{c}", f.name))
                    })
                    .unwrap_or_default();
                report = report.with_note(format!("{}{at}", frame.message));
            }
            let _ = report
                .finish()
                .write((name, Source::from(f.text.to_string())), &mut out);
            // Nix users know `error:`; ariadne writes `Error:`.
            let text = String::from_utf8_lossy(&out).into_owned();
            match text.strip_prefix("Error:") {
                Some(rest) => format!("error:{rest}"),
                None => text,
            }
        }
        None => {
            let mut s = format!("error: {err}\n");
            for frame in err.trace() {
                s.push_str(&format!("       … {}\n", frame.message));
            }
            s
        }
    }
}

fn char_offset(text: &str, byte: usize) -> usize {
    text.get(..byte.min(text.len()))
        .map_or(0, |t| t.chars().count())
}
