//! A re-enactment of libstdc++'s depth-first regex executor in POSIX mode,
//! used where its results differ from the `regex` crate's leftmost-first
//! matching: alternatives in `split` (libstdc++ tries every alternative and
//! keeps the longest match) and repeated groups that can match the empty
//! string (it records one more, empty, iteration).
//!
//! The NFA has libstdc++'s shape (a bounded repeat is a chain of copies,
//! each optional one a repeat state) and the search follows its rules:
//! greedy repeats stop exploring once any match is found, alternatives are
//! both explored, and a repeat may loop on the empty string at most twice
//! at one position.

use super::syntax::{Node, Parsed};

/// More states than this and the pattern is refused (libstdc++ stops at
/// 100 000 states too).
const STATE_LIMIT: usize = 100_000;

/// Search steps after which the executor gives up (the caller then falls
/// back to the `regex` crate's answer rather than run for ever).
const STEP_LIMIT: u64 = 50_000_000;

enum State {
    Match(Box<[bool; 256]>, usize),
    Begin(usize),
    End(usize),
    SubBegin(usize, usize),
    SubEnd(usize, usize),
    Alt(usize, usize),
    Repeat { body: usize, next: usize },
    Accept,
}

/// A compiled pattern for the executor.
pub(crate) struct Nfa {
    states: Vec<State>,
    start: usize,
    groups: usize,
}

/// Too many states.
#[derive(Debug)]
pub(crate) struct TooBig;

impl Nfa {
    pub(crate) fn build(parsed: &Parsed) -> Result<Nfa, TooBig> {
        let mut nfa = Nfa {
            states: vec![State::Accept],
            start: 0,
            groups: parsed.groups,
        };
        nfa.start = nfa.node(&parsed.root, 0)?;
        Ok(nfa)
    }

    fn push(&mut self, s: State) -> Result<usize, TooBig> {
        if self.states.len() >= STATE_LIMIT {
            return Err(TooBig);
        }
        self.states.push(s);
        Ok(self.states.len() - 1)
    }

    /// Builds `n` so that it continues at `next`; returns its first state.
    fn node(&mut self, n: &Node, next: usize) -> Result<usize, TooBig> {
        Ok(match n {
            Node::Empty => next,
            Node::Set(set) => self.push(State::Match(set.clone(), next))?,
            Node::Begin => self.push(State::Begin(next))?,
            Node::End => self.push(State::End(next))?,
            Node::Group(k, inner) => {
                let end = self.push(State::SubEnd(*k, next))?;
                let body = self.node(inner, end)?;
                self.push(State::SubBegin(*k, body))?
            }
            Node::Concat(items) => {
                let mut cur = next;
                for item in items.iter().rev() {
                    cur = self.node(item, cur)?;
                }
                cur
            }
            Node::Alt(alts) => {
                // libstdc++ nests `a|b|c` as `(a|b)|c`, left explored first.
                let mut cur = self.node(&alts[0], next)?;
                for alt in &alts[1..] {
                    let right = self.node(alt, next)?;
                    cur = self.push(State::Alt(cur, right))?;
                }
                cur
            }
            Node::Repeat(inner, min, max) => {
                let mut cur = match max {
                    None => {
                        let r = self.push(State::Repeat { body: 0, next })?;
                        let body = self.node(inner, r)?;
                        self.states[r] = State::Repeat { body, next };
                        r
                    }
                    Some(max) => {
                        // `(e(e(e)?)?)?` for the optional copies.
                        let mut cur = next;
                        for _ in *min..*max {
                            let body = self.node(inner, cur)?;
                            cur = self.push(State::Repeat { body, next })?;
                        }
                        cur
                    }
                };
                for _ in 0..*min {
                    cur = self.node(inner, cur)?;
                }
                cur
            }
        })
    }
}

/// A group's bounds as libstdc++ tracks them: the start is set on entry,
/// the end and `matched` on exit.
#[derive(Clone, Copy, Default)]
struct Sub {
    first: usize,
    second: usize,
    matched: bool,
}

/// A match: its bounds and each group's (`None` when it took no part).
pub(crate) struct Found {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) groups: Vec<Option<(usize, usize)>>,
}

/// The executor gave up (see [`STEP_LIMIT`]).
#[derive(Debug)]
pub(crate) struct GaveUp;

struct Exec<'a> {
    nfa: &'a Nfa,
    hay: &'a [u8],
    begin: usize,
    cur: usize,
    exact: bool,
    not_null: bool,
    prev_avail: bool,
    has_sol: bool,
    sol_pos: Option<usize>,
    cur_results: Vec<Sub>,
    results: Vec<Sub>,
    rep_count: Vec<(usize, u32)>,
    steps: u64,
}

impl Exec<'_> {
    fn dfs(&mut self, i: usize) -> Result<(), GaveUp> {
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            return Err(GaveUp);
        }
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.step(i))
    }

    fn step(&mut self, i: usize) -> Result<(), GaveUp> {
        match &self.nfa.states[i] {
            State::Repeat { body, next } => {
                let (body, next) = (*body, *next);
                self.rep_once_more(i, body)?;
                if !self.has_sol {
                    self.dfs(next)?;
                }
            }
            State::SubBegin(k, next) => {
                let (k, next) = (*k, *next);
                let back = self.cur_results[k].first;
                self.cur_results[k].first = self.cur;
                self.dfs(next)?;
                self.cur_results[k].first = back;
            }
            State::SubEnd(k, next) => {
                let (k, next) = (*k, *next);
                let back = self.cur_results[k];
                self.cur_results[k].second = self.cur;
                self.cur_results[k].matched = true;
                self.dfs(next)?;
                self.cur_results[k] = back;
            }
            State::Begin(next) => {
                if self.cur == self.begin && !self.prev_avail {
                    self.dfs(*next)?;
                }
            }
            State::End(next) => {
                if self.cur == self.hay.len() {
                    self.dfs(*next)?;
                }
            }
            State::Match(set, next) => {
                if let Some(&c) = self.hay.get(self.cur)
                    && set[usize::from(c)]
                {
                    let next = *next;
                    self.cur += 1;
                    self.dfs(next)?;
                    self.cur -= 1;
                }
            }
            State::Alt(left, right) => {
                let (left, right) = (*left, *right);
                self.dfs(left)?;
                let had = self.has_sol;
                self.has_sol = false;
                self.dfs(right)?;
                self.has_sol |= had;
            }
            State::Accept => {
                self.has_sol = !self.exact || self.cur == self.hay.len();
                if self.cur == self.begin && self.not_null {
                    self.has_sol = false;
                }
                if self.has_sol && self.sol_pos.is_none_or(|p| p < self.cur) {
                    self.sol_pos = Some(self.cur);
                    self.results.clone_from(&self.cur_results);
                }
            }
        }
        Ok(())
    }

    /// Enters a repeat's body again, allowing at most two empty loops at
    /// one position.
    fn rep_once_more(&mut self, i: usize, body: usize) -> Result<(), GaveUp> {
        let (pos, count) = self.rep_count[i];
        if count == 0 || pos != self.cur {
            self.rep_count[i] = (self.cur, 1);
            self.dfs(body)?;
            self.rep_count[i] = (pos, count);
        } else if count < 2 {
            self.rep_count[i].1 += 1;
            self.dfs(body)?;
            self.rep_count[i].1 -= 1;
        }
        Ok(())
    }

    /// One attempt from `self.begin`.
    fn main(&mut self) -> Result<bool, GaveUp> {
        self.has_sol = false;
        self.sol_pos = None;
        self.cur = self.begin;
        self.cur_results = vec![Sub::default(); self.nfa.groups + 1];
        self.dfs(self.nfa.start)?;
        Ok(self.has_sol)
    }

    fn found(&self) -> Found {
        Found {
            start: self.begin,
            end: self.sol_pos.unwrap_or(self.begin),
            groups: self.results[1..]
                .iter()
                .map(|s| s.matched.then_some((s.first, s.second)))
                .collect(),
        }
    }
}

fn exec<'a>(nfa: &'a Nfa, hay: &'a [u8], begin: usize) -> Exec<'a> {
    Exec {
        nfa,
        hay,
        begin,
        cur: begin,
        exact: false,
        not_null: false,
        prev_avail: false,
        has_sol: false,
        sol_pos: None,
        cur_results: Vec::new(),
        results: vec![Sub::default(); nfa.groups + 1],
        rep_count: vec![(0, 0); nfa.states.len()],
        steps: 0,
    }
}

/// `std::regex_match`: the whole of `hay`.
pub(crate) fn whole(nfa: &Nfa, hay: &[u8]) -> Result<Option<Found>, GaveUp> {
    let mut e = exec(nfa, hay, 0);
    e.exact = true;
    Ok(if e.main()? { Some(e.found()) } else { None })
}

/// `std::regex_search` from `start` with the given flags.
fn search(
    nfa: &Nfa,
    hay: &[u8],
    start: usize,
    not_null: bool,
    continuous: bool,
    prev_avail: bool,
) -> Result<Option<Found>, GaveUp> {
    let mut e = exec(nfa, hay, start);
    e.not_null = not_null;
    e.prev_avail = prev_avail;
    if e.main()? {
        return Ok(Some(e.found()));
    }
    if continuous {
        return Ok(None);
    }
    e.prev_avail = true;
    while e.begin < hay.len() {
        e.begin += 1;
        if e.main()? {
            return Ok(Some(e.found()));
        }
    }
    Ok(None)
}

/// Every match `std::sregex_iterator` visits, in order.
pub(crate) fn all(nfa: &Nfa, hay: &[u8]) -> Result<Vec<Found>, GaveUp> {
    let mut out = Vec::new();
    let mut prev_avail = false;
    let mut next = search(nfa, hay, 0, false, false, false)?;
    while let Some(m) = next {
        let (start, end) = (m.start, m.end);
        out.push(m);
        let mut from = end;
        if start == end {
            if end == hay.len() {
                break;
            }
            if let Some(r) = search(nfa, hay, end, true, true, prev_avail)? {
                next = Some(r);
                continue;
            }
            from += 1;
        }
        prev_avail = true;
        next = search(nfa, hay, from, false, false, true)?;
    }
    Ok(out)
}
