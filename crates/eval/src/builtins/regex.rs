//! `builtins.match` and `builtins.split`: POSIX extended regular expressions
//! as Nix runs them (libstdc++'s `std::regex::extended`).
//!
//! The pattern is parsed here with libstdc++'s rules (which escapes are
//! allowed, bracket expressions, what counts as "nothing to repeat") and
//! translated into `regex` crate syntax over bytes: Nix matches bytes in
//! the C locale, so `.` on `"é"` sees two characters. Every literal is
//! emitted as a `\xHH` escape so no character means anything by accident.
//! Compiled regexes are cached per pattern.
//!
//! Matching is the `regex` crate's leftmost-first, which equals libstdc++'s
//! depth-first search except for one case listed in `tests/DIFFERENCES.md`
//! (`split` with an alternative that a later, longer one extends).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

use regex::bytes::{Regex, RegexBuilder};
use rustc_hash::FxHashMap;

use super::{Builtin, b};
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::span::Span;
use crate::value::Value;

pub(super) const BUILTINS: &[Builtin] = &[b("match", 2, prim_match), b("split", 2, prim_split)];

/// How many compiled patterns the cache keeps before starting over.
const CACHE_LIMIT: usize = 4096;

/// Compiled-size limit: a pattern beyond it is reported as invalid.
const SIZE_LIMIT: usize = 64 << 20;

/// Compiled patterns by source text and whether they are anchored.
type RegexCache = FxHashMap<(Rc<str>, bool), Rc<Regex>>;

thread_local! {
    static CACHE: RefCell<RegexCache> = RefCell::new(FxHashMap::default());
}

/// The compiled form of `pattern`; `whole` anchors it at both ends.
fn compiled(pattern: &str, whole: bool, span: Span) -> EvalResult<Rc<Regex>> {
    let key: (Rc<str>, bool) = (pattern.into(), whole);
    if let Some(r) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(r);
    }
    let invalid = || EvalError::other(format!("invalid regular expression '{pattern}'"), span);
    let translated = translate(pattern.as_bytes()).map_err(|_| invalid())?;
    let source = if whole {
        format!(r"\A(?:{translated})\z")
    } else {
        translated
    };
    let re = RegexBuilder::new(&source)
        .unicode(false)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|_| invalid())?;
    let re = Rc::new(re);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(key, re.clone());
    });
    Ok(re)
}

fn text(bytes: &[u8]) -> Value {
    Value::string(String::from_utf8_lossy(bytes).into_owned())
}

/// The capture groups of a match as Nix lists them (`null` when a group
/// did not take part).
fn groups(caps: &regex::bytes::Captures<'_>) -> Value {
    Value::list(
        (1..caps.len())
            .map(|i| caps.get(i).map_or(Value::Null, |m| text(m.as_bytes())))
            .collect(),
    )
}

fn prim_match(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let pattern = m.force_string(&a[0], s)?;
    let re = compiled(&pattern.text, true, s)?;
    let subject = m.force_string(&a[1], s)?;
    Ok(match re.captures(subject.text.as_bytes()) {
        Some(caps) => groups(&caps),
        None => Value::Null,
    })
}

fn prim_split(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let pattern = m.force_string(&a[0], s)?;
    let re = compiled(&pattern.text, false, s)?;
    let subject = m.force_string(&a[1], s)?;
    let hay = subject.text.as_bytes();
    let mut out = Vec::new();
    // As `std::sregex_iterator`: after a non-empty match the next search
    // starts at its end; after an empty one, one byte further (the skipped
    // byte belongs to the next piece of text).
    let mut prefix_start = 0;
    let mut from = 0;
    let mut locs = re.capture_locations();
    while from <= hay.len() {
        let Some(found) = re.captures_read_at(&mut locs, hay, from) else {
            break;
        };
        let (start, end) = (found.start(), found.end());
        out.push(text(&hay[prefix_start..start]));
        out.push(Value::list(
            (1..locs.len())
                .map(|i| locs.get(i).map_or(Value::Null, |(x, y)| text(&hay[x..y])))
                .collect(),
        ));
        prefix_start = end;
        from = if start == end { end + 1 } else { end };
    }
    out.push(text(&hay[prefix_start..]));
    Ok(Value::list(out))
}

/// Why a pattern is not a valid POSIX extended regular expression.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadPattern;

/// Translates a libstdc++ extended pattern into `regex` syntax (bytes,
/// Unicode off).
pub(crate) fn translate(p: &[u8]) -> Result<String, BadPattern> {
    let mut parser = Parser {
        p,
        pos: 0,
        out: String::new(),
        depth: 0,
    };
    parser.disjunction()?;
    if parser.pos != p.len() {
        // A `)` without its `(`.
        return Err(BadPattern);
    }
    Ok(parser.out)
}

struct Parser<'a> {
    p: &'a [u8],
    pos: usize,
    out: String,
    depth: usize,
}

/// Characters that `\` may escape outside brackets in extended syntax.
const ESCAPABLE: &[u8] = b".[\\()*+?{|^$";

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.p.get(self.pos).copied()
    }

    fn disjunction(&mut self) -> Result<(), BadPattern> {
        loop {
            self.alternative()?;
            if self.peek() == Some(b'|') {
                self.pos += 1;
                self.out.push('|');
            } else {
                return Ok(());
            }
        }
    }

    fn alternative(&mut self) -> Result<(), BadPattern> {
        loop {
            match self.peek() {
                None | Some(b'|') => return Ok(()),
                Some(b')') if self.depth > 0 => return Ok(()),
                Some(b'^') => {
                    self.pos += 1;
                    self.out.push_str(r"\A");
                }
                Some(b'$') => {
                    self.pos += 1;
                    self.out.push_str(r"\z");
                }
                Some(_) => self.term()?,
            }
        }
    }

    /// An atom followed by any number of quantifiers.
    fn term(&mut self) -> Result<(), BadPattern> {
        let mut atom = self.atom()?;
        while let Some(q) = self.quantifier()? {
            atom = format!("(?:{atom}){q}");
        }
        self.out.push_str(&atom);
        Ok(())
    }

    fn atom(&mut self) -> Result<String, BadPattern> {
        let Some(c) = self.peek() else {
            return Err(BadPattern);
        };
        self.pos += 1;
        match c {
            b'*' | b'+' | b'?' | b'{' | b')' => Err(BadPattern),
            b'.' => Ok(r"[\x01-\xFF]".to_owned()),
            b'(' => {
                let saved = std::mem::take(&mut self.out);
                self.depth += 1;
                self.disjunction()?;
                self.depth -= 1;
                if self.peek() != Some(b')') {
                    return Err(BadPattern);
                }
                self.pos += 1;
                let inner = std::mem::replace(&mut self.out, saved);
                Ok(format!("({inner})"))
            }
            b'[' => self.bracket(),
            b'\\' => match self.peek() {
                Some(e) if ESCAPABLE.contains(&e) => {
                    self.pos += 1;
                    Ok(byte(e))
                }
                _ => Err(BadPattern),
            },
            c => Ok(byte(c)),
        }
    }

    /// A quantifier after an atom, in `regex` syntax.
    fn quantifier(&mut self) -> Result<Option<String>, BadPattern> {
        let q = match self.peek() {
            Some(b'*') => "*".to_owned(),
            Some(b'+') => "+".to_owned(),
            Some(b'?') => "?".to_owned(),
            Some(b'{') => {
                self.pos += 1;
                let min = self.number().ok_or(BadPattern)?;
                let q = match self.peek() {
                    Some(b'}') => format!("{{{min}}}"),
                    Some(b',') => {
                        self.pos += 1;
                        match self.number() {
                            Some(max) if max < min => return Err(BadPattern),
                            Some(max) => format!("{{{min},{max}}}"),
                            None => format!("{{{min},}}"),
                        }
                    }
                    _ => return Err(BadPattern),
                };
                if self.peek() != Some(b'}') {
                    return Err(BadPattern);
                }
                self.pos += 1;
                return Ok(Some(q));
            }
            _ => return Ok(None),
        };
        self.pos += 1;
        Ok(Some(q))
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.p[start..self.pos])
            .ok()?
            .parse()
            .ok()
    }

    /// A bracket expression, after its `[`.
    fn bracket(&mut self) -> Result<String, BadPattern> {
        let mut set = [false; 256];
        let negate = self.peek() == Some(b'^');
        if negate {
            self.pos += 1;
        }
        let mut prev = Prev::Start;
        loop {
            let c = self.peek().ok_or(BadPattern)?;
            if c == b']' && prev != Prev::Start {
                self.pos += 1;
                break;
            }
            if c == b'-' && prev != Prev::Start && self.p.get(self.pos + 1) != Some(&b']') {
                self.pos += 1;
                let Prev::Byte(lo) = prev else {
                    return Err(BadPattern);
                };
                let Item::Byte(hi) = self.bracket_item()? else {
                    return Err(BadPattern);
                };
                // libstdc++ compares `char`, which is signed.
                let (lo, hi) = (lo as i8, hi as i8);
                if lo > hi {
                    return Err(BadPattern);
                }
                for x in lo..=hi {
                    set[usize::from(x as u8)] = true;
                }
                prev = Prev::Other;
                continue;
            }
            match self.bracket_item()? {
                Item::Byte(x) => {
                    set[usize::from(x)] = true;
                    prev = Prev::Byte(x);
                }
                Item::Class(members) => {
                    for x in members {
                        set[usize::from(x)] = true;
                    }
                    prev = Prev::Other;
                }
            }
        }
        if negate {
            for x in &mut set {
                *x = !*x;
            }
        }
        Ok(class_syntax(&set))
    }

    /// One element inside brackets: a byte, `[:class:]`, `[=x=]`, `[.x.]`.
    fn bracket_item(&mut self) -> Result<Item, BadPattern> {
        let c = self.peek().ok_or(BadPattern)?;
        self.pos += 1;
        let kind = match (c, self.peek()) {
            (b'[', Some(k @ (b':' | b'=' | b'.'))) => k,
            _ => return Ok(Item::Byte(c)),
        };
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.p.get(self.pos..self.pos + 2) {
                None => return Err(BadPattern),
                Some([x, b']']) if *x == kind => break,
                Some(_) => self.pos += 1,
            }
        }
        let name = std::str::from_utf8(&self.p[start..self.pos]).map_err(|_| BadPattern)?;
        self.pos += 2;
        match kind {
            b':' => class_members(name).map(Item::Class),
            b'.' => collating_element(name).map(Item::Byte),
            // In the C locale an equivalence class is just its character.
            _ => collating_element(name).map(|x| Item::Class(vec![x])),
        }
    }
}

/// What came before a `-` inside brackets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Nothing yet: a `-` here is literal.
    Start,
    /// A single byte, which may start a range.
    Byte(u8),
    /// A class or a finished range, which may not.
    Other,
}

enum Item {
    Byte(u8),
    Class(Vec<u8>),
}

/// `\xHH` for one byte.
fn byte(c: u8) -> String {
    format!(r"\x{c:02X}")
}

/// A `regex` class for a set of bytes.
fn class_syntax(set: &[bool; 256]) -> String {
    let mut out = String::from("[");
    let mut x = 0usize;
    let mut any = false;
    while x < 256 {
        if set[x] {
            let start = x;
            while x + 1 < 256 && set[x + 1] {
                x += 1;
            }
            let _ = write!(out, r"\x{start:02X}-\x{x:02X}");
            any = true;
        }
        x += 1;
    }
    if !any {
        // Matches nothing.
        return r"[^\x00-\xFF]".to_owned();
    }
    out.push(']');
    out
}

/// Members of a `[:name:]` class in the C locale (names are case-insensitive).
fn class_members(name: &str) -> Result<Vec<u8>, BadPattern> {
    let test: fn(u8) -> bool = match name.to_ascii_lowercase().as_str() {
        "alnum" => |c| c.is_ascii_alphanumeric(),
        "alpha" => |c| c.is_ascii_alphabetic(),
        "blank" => |c| c == b' ' || c == b'\t',
        "cntrl" => |c| c.is_ascii_control(),
        "digit" | "d" => |c| c.is_ascii_digit(),
        "graph" => |c| c.is_ascii_graphic(),
        "lower" => |c| c.is_ascii_lowercase(),
        "print" => |c| c.is_ascii_graphic() || c == b' ',
        "punct" => |c| c.is_ascii_punctuation(),
        "space" | "s" => |c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        "upper" => |c| c.is_ascii_uppercase(),
        "xdigit" => |c| c.is_ascii_hexdigit(),
        "w" => |c| c.is_ascii_alphanumeric() || c == b'_',
        _ => return Err(BadPattern),
    };
    Ok((0..=255u8).filter(|&c| test(c)).collect())
}

/// The POSIX portable character names libstdc++ knows, indexed by byte.
const COLLATE_NAMES: &[&str] = &[
    "NUL",
    "SOH",
    "STX",
    "ETX",
    "EOT",
    "ENQ",
    "ACK",
    "alert",
    "backspace",
    "tab",
    "newline",
    "vertical-tab",
    "form-feed",
    "carriage-return",
    "SO",
    "SI",
    "DLE",
    "DC1",
    "DC2",
    "DC3",
    "DC4",
    "NAK",
    "SYN",
    "ETB",
    "CAN",
    "EM",
    "SUB",
    "ESC",
    "IS4",
    "IS3",
    "IS2",
    "IS1",
    "space",
    "exclamation-mark",
    "quotation-mark",
    "number-sign",
    "dollar-sign",
    "percent-sign",
    "ampersand",
    "apostrophe",
    "left-parenthesis",
    "right-parenthesis",
    "asterisk",
    "plus-sign",
    "comma",
    "hyphen",
    "period",
    "slash",
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "colon",
    "semicolon",
    "less-than-sign",
    "equals-sign",
    "greater-than-sign",
    "question-mark",
    "commercial-at",
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
    "K",
    "L",
    "M",
    "N",
    "O",
    "P",
    "Q",
    "R",
    "S",
    "T",
    "U",
    "V",
    "W",
    "X",
    "Y",
    "Z",
    "left-square-bracket",
    "backslash",
    "right-square-bracket",
    "circumflex",
    "underscore",
    "grave-accent",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "v",
    "w",
    "x",
    "y",
    "z",
    "left-curly-bracket",
    "vertical-line",
    "right-curly-bracket",
    "tilde",
    "DEL",
];

fn collating_element(name: &str) -> Result<u8, BadPattern> {
    COLLATE_NAMES
        .iter()
        .position(|n| *n == name)
        .and_then(|i| u8::try_from(i).ok())
        .ok_or(BadPattern)
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn rejects_what_libstdcxx_rejects() {
        for p in [
            "*a",
            "^*a",
            "a|*b",
            "(*a)",
            "(",
            ")",
            "a{",
            "a{1",
            "a{,2}",
            "a{2,1}",
            "\\d",
            "\\]",
            "a\\",
            "[",
            "[]",
            "[^]",
            "[a-z-0]",
            "[[:alpha:]-z]",
            "[z-a]",
            "[[:foo:]]",
            "[[.-.]]",
            "{1}",
        ] {
            assert!(translate(p.as_bytes()).is_err(), "{p} should be rejected");
        }
    }

    #[test]
    fn accepts_what_libstdcxx_accepts() {
        for p in [
            "a**",
            "a*?",
            "()",
            "a|",
            "|",
            "a}",
            "[]a]",
            "[^]a]",
            "[a-]",
            "[-a]",
            "[--/]",
            "[%--]",
            "[[]",
            "[[.hyphen.]]",
            "[[=e=]]",
            "[[:ALPHA:]]",
            "a{1}{2}",
            "\\(",
            "\\{",
            "[\\]",
        ] {
            assert!(translate(p.as_bytes()).is_ok(), "{p} should be accepted");
        }
    }
}
