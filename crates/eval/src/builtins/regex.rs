//! `builtins.match` and `builtins.split`: POSIX extended regular expressions
//! as Nix runs them (libstdc++'s `std::regex::extended`).
//!
//! `syntax` parses a pattern with libstdc++'s rules (which escapes are
//! allowed, bracket expressions, what counts as "nothing to repeat"). The
//! parse becomes `regex` crate syntax over bytes, since Nix matches bytes in
//! the C locale (`.` on `"é"` sees two characters). The `regex` crate's
//! leftmost-first matching gives libstdc++'s results except in two corners,
//! for which `dfs` re-enacts libstdc++'s search: alternatives in `split`,
//! and repeated groups that can match the empty string. Compiled patterns
//! are cached.

mod dfs;
mod syntax;

use std::cell::RefCell;
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

/// A pattern compiled for one use (`whole` for `match`).
struct Compiled {
    re: Regex,
    /// Set when libstdc++'s search must be re-enacted for this use.
    nfa: Option<dfs::Nfa>,
}

/// Compiled patterns by (pattern, whole).
type Cache = FxHashMap<(Rc<str>, bool), Rc<Compiled>>;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(FxHashMap::default());
}

fn compiled(pattern: &str, whole: bool, span: Span) -> EvalResult<Rc<Compiled>> {
    let key: (Rc<str>, bool) = (pattern.into(), whole);
    if let Some(c) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(c);
    }
    let invalid = || EvalError::other(format!("invalid regular expression '{pattern}'"), span);
    let parsed = syntax::parse(pattern.as_bytes()).map_err(|_| invalid())?;
    let mut source = String::new();
    parsed.root.to_syntax(&mut source);
    if whole {
        source = format!(r"\A(?:{source})\z");
    }
    let re = RegexBuilder::new(&source)
        .unicode(false)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|_| invalid())?;
    let emulate = parsed.root.has_nullable_repeated_group() || (!whole && parsed.root.has_alt());
    let nfa = if emulate {
        Some(dfs::Nfa::build(&parsed).map_err(|_| invalid())?)
    } else {
        None
    };
    let c = Rc::new(Compiled { re, nfa });
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, c.clone());
    });
    Ok(c)
}

fn text(bytes: &[u8]) -> Value {
    Value::string(String::from_utf8_lossy(bytes).into_owned())
}

fn group_list(hay: &[u8], groups: impl Iterator<Item = Option<(usize, usize)>>) -> Value {
    Value::list(
        groups
            .map(|g| g.map_or(Value::Null, |(x, y)| text(&hay[x..y])))
            .collect(),
    )
}

fn prim_match(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let pattern = m.force_string(&a[0], s)?;
    let c = compiled(&pattern.text, true, s)?;
    let subject = m.force_string(&a[1], s)?;
    let hay = subject.text.as_bytes();
    let mut locs = c.re.capture_locations();
    if c.re.captures_read(&mut locs, hay).is_none() {
        return Ok(Value::Null);
    }
    if let Some(nfa) = &c.nfa
        && let Ok(found) = dfs::whole(nfa, hay)
    {
        return Ok(match found {
            Some(f) => group_list(hay, f.groups.into_iter()),
            None => Value::Null,
        });
    }
    Ok(group_list(hay, (1..locs.len()).map(|i| locs.get(i))))
}

fn prim_split(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let pattern = m.force_string(&a[0], s)?;
    let c = compiled(&pattern.text, false, s)?;
    let subject = m.force_string(&a[1], s)?;
    let hay = subject.text.as_bytes();
    let matches = match &c.nfa {
        Some(nfa) => dfs::all(nfa, hay).ok(),
        None => None,
    };
    let matches = matches.unwrap_or_else(|| leftmost_first(&c.re, hay));
    let mut out = Vec::with_capacity(matches.len() * 2 + 1);
    let mut prefix_start = 0;
    for f in matches {
        out.push(text(&hay[prefix_start..f.start]));
        out.push(group_list(hay, f.groups.into_iter()));
        prefix_start = f.end;
    }
    out.push(text(&hay[prefix_start..]));
    Ok(Value::list(out))
}

/// The matches `std::sregex_iterator` visits, found with the `regex`
/// crate: after a non-empty match the next search starts at its end; after
/// an empty one, one byte further (the skipped byte belongs to the next
/// piece of text).
fn leftmost_first(re: &Regex, hay: &[u8]) -> Vec<dfs::Found> {
    let mut out = Vec::new();
    let mut from = 0;
    let mut locs = re.capture_locations();
    while from <= hay.len() {
        let Some(found) = re.captures_read_at(&mut locs, hay, from) else {
            break;
        };
        let (start, end) = (found.start(), found.end());
        out.push(dfs::Found {
            start,
            end,
            groups: (1..locs.len()).map(|i| locs.get(i)).collect(),
        });
        from = if start == end { end + 1 } else { end };
    }
    out
}
