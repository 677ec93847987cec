//! Indented strings (`'' … ''`): Nix's lexing of escapes and its
//! indentation stripping, reproduced token by token (rnix's own
//! normalisation unescapes too late to match Nix on `''\n` escapes).

use rnix::ast::{self, AstToken, InterpolPart};

/// A piece of an indented string after stripping.
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// `${…}`
    Interp(ast::Interpol),
}

/// An `IND_STR` token (text, and whether it may carry indentation — escapes
/// do not) or an interpolation.
enum Tok {
    Str(String, bool),
    Interp,
}

/// Splits the raw text between two interpolations into Nix's `IND_STR` tokens.
fn tokens(raw: &str, out: &mut Vec<Tok>) {
    let mut run = String::new();
    let mut i = 0;
    let flush = |run: &mut String, out: &mut Vec<Tok>| {
        if !run.is_empty() {
            out.push(Tok::Str(std::mem::take(run), true));
        }
    };
    while i < raw.len() {
        let rest = &raw[i..];
        if rest.starts_with("'''") {
            flush(&mut run, out);
            out.push(Tok::Str("''".into(), false));
            i += 3;
        } else if rest.starts_with("''$") {
            flush(&mut run, out);
            out.push(Tok::Str("$".into(), false));
            i += 3;
        } else if let Some(esc) = rest.strip_prefix("''\\") {
            flush(&mut run, out);
            match esc.chars().next() {
                Some(c) => {
                    let text = match c {
                        'n' => "\n".into(),
                        'r' => "\r".into(),
                        't' => "\t".into(),
                        c => c.to_string(),
                    };
                    out.push(Tok::Str(text, false));
                    i += 3 + c.len_utf8();
                }
                None => i += 3,
            }
        } else if rest.starts_with("$'") || rest.starts_with("'$") {
            flush(&mut run, out);
            out.push(Tok::Str(rest[..1].to_owned(), true));
            i += 1;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            run.push(c);
            i += c.len_utf8();
        }
    }
    flush(&mut run, out);
}

/// The parts of an indented string, stripped exactly as Nix 2.8 does.
pub fn indented_parts(s: &ast::Str) -> Vec<Piece> {
    let mut toks: Vec<Tok> = Vec::new();
    let mut interps = Vec::new();
    let mut first = true;
    for part in s.parts() {
        match part {
            InterpolPart::Literal(lit) => {
                let mut raw = lit.syntax().text();
                if first {
                    // The lexer's `''(\ *\n)?` eats an initial blank line.
                    let trimmed = raw.trim_start_matches(' ');
                    if let Some(rest) = trimmed.strip_prefix('\n') {
                        raw = rest;
                    }
                }
                tokens(raw, &mut toks);
            }
            InterpolPart::Interpolation(ip) => {
                toks.push(Tok::Interp);
                interps.push(ip);
            }
        }
        first = false;
    }
    let mut at_start = true;
    let mut min_indent = usize::MAX;
    let mut cur = 0;
    for t in &toks {
        match t {
            // Interpolations and escapes end the leading whitespace.
            Tok::Interp | Tok::Str(_, false) => {
                if at_start {
                    at_start = false;
                    min_indent = min_indent.min(cur);
                }
            }
            Tok::Str(t, true) => {
                for c in t.chars() {
                    if at_start {
                        if c == ' ' {
                            cur += 1;
                        } else if c == '\n' {
                            cur = 0;
                        } else {
                            at_start = false;
                            min_indent = min_indent.min(cur);
                        }
                    } else if c == '\n' {
                        at_start = true;
                        cur = 0;
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut interps = interps.into_iter();
    at_start = true;
    let mut dropped = 0;
    let n = toks.len();
    for (idx, t) in toks.into_iter().enumerate() {
        match t {
            Tok::Interp => {
                at_start = false;
                dropped = 0;
                if let Some(ip) = interps.next() {
                    out.push(Piece::Interp(ip));
                }
            }
            Tok::Str(t, _) => {
                let mut s2 = String::new();
                for c in t.chars() {
                    if at_start {
                        if c == ' ' {
                            if dropped >= min_indent {
                                s2.push(c);
                            }
                            dropped += 1;
                        } else if c == '\n' {
                            dropped = 0;
                            s2.push(c);
                        } else {
                            at_start = false;
                            dropped = 0;
                            s2.push(c);
                        }
                    } else {
                        s2.push(c);
                        if c == '\n' {
                            at_start = true;
                        }
                    }
                }
                if idx + 1 == n
                    && let Some(p) = s2.rfind('\n')
                    && s2[p + 1..].chars().all(|c| c == ' ')
                {
                    s2.truncate(p + 1);
                }
                out.push(Piece::Lit(s2));
            }
        }
    }
    out
}
