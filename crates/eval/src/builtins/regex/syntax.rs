//! libstdc++'s POSIX extended syntax: parsed into a small tree, which
//! becomes either `regex` crate syntax (bytes, Unicode off, every literal a
//! `\xHH` escape) or the NFA of `dfs`.

use std::fmt::Write as _;

/// Why a pattern is not a valid POSIX extended regular expression.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadPattern;

/// A parsed pattern.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Matches the empty string.
    Empty,
    /// One byte from the set.
    Set(Box<[bool; 256]>),
    /// `^`
    Begin,
    /// `$`
    End,
    /// `( … )`, numbered from 1.
    Group(usize, Box<Node>),
    /// A sequence.
    Concat(Vec<Node>),
    /// `a|b|…`
    Alt(Vec<Node>),
    /// A quantified atom: `min` to `max` (unbounded when `None`) times.
    Repeat(Box<Node>, u32, Option<u32>),
}

/// The parse of a whole pattern and its number of groups.
pub(crate) struct Parsed {
    pub(crate) root: Node,
    pub(crate) groups: usize,
}

/// Parses a pattern with libstdc++'s rules for `std::regex::extended`.
pub(crate) fn parse(p: &[u8]) -> Result<Parsed, BadPattern> {
    let mut parser = Parser {
        p,
        pos: 0,
        depth: 0,
        groups: 0,
    };
    let root = parser.disjunction()?;
    if parser.pos != p.len() {
        // A `)` without its `(`.
        return Err(BadPattern);
    }
    Ok(Parsed {
        root,
        groups: parser.groups,
    })
}

struct Parser<'a> {
    p: &'a [u8],
    pos: usize,
    depth: usize,
    groups: usize,
}

/// Characters that `\` may escape outside brackets in extended syntax.
const ESCAPABLE: &[u8] = b".[\\()*+?{|^$";

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.p.get(self.pos).copied()
    }

    fn disjunction(&mut self) -> Result<Node, BadPattern> {
        let mut alts = vec![self.alternative()?];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            alts.push(self.alternative()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        })
    }

    fn alternative(&mut self) -> Result<Node, BadPattern> {
        let mut seq = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'|') => break,
                Some(b')') if self.depth > 0 => break,
                Some(b'^') => {
                    self.pos += 1;
                    seq.push(Node::Begin);
                }
                Some(b'$') => {
                    self.pos += 1;
                    seq.push(Node::End);
                }
                Some(_) => seq.push(self.term()?),
            }
        }
        Ok(match seq.len() {
            0 => Node::Empty,
            1 => seq.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(seq),
        })
    }

    /// An atom followed by any number of quantifiers.
    fn term(&mut self) -> Result<Node, BadPattern> {
        let mut atom = self.atom()?;
        while let Some((min, max)) = self.quantifier()? {
            atom = Node::Repeat(Box::new(atom), min, max);
        }
        Ok(atom)
    }

    fn atom(&mut self) -> Result<Node, BadPattern> {
        let c = self.peek().ok_or(BadPattern)?;
        self.pos += 1;
        match c {
            b'*' | b'+' | b'?' | b'{' | b')' => Err(BadPattern),
            b'.' => {
                // POSIX `.` matches anything but NUL.
                let mut set = [true; 256];
                set[0] = false;
                Ok(Node::Set(Box::new(set)))
            }
            b'(' => {
                self.groups += 1;
                let n = self.groups;
                self.depth += 1;
                let inner = self.disjunction()?;
                self.depth -= 1;
                if self.peek() != Some(b')') {
                    return Err(BadPattern);
                }
                self.pos += 1;
                Ok(Node::Group(n, Box::new(inner)))
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

    /// A quantifier after an atom: its bounds.
    fn quantifier(&mut self) -> Result<Option<(u32, Option<u32>)>, BadPattern> {
        let q = match self.peek() {
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'?') => (0, Some(1)),
            Some(b'{') => {
                self.pos += 1;
                let min = self.number().ok_or(BadPattern)?;
                let q = match self.peek() {
                    Some(b'}') => (min, Some(min)),
                    Some(b',') => {
                        self.pos += 1;
                        match self.number() {
                            Some(max) if max < min => return Err(BadPattern),
                            max => (min, max),
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
    fn bracket(&mut self) -> Result<Node, BadPattern> {
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
        Ok(Node::Set(Box::new(set)))
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

fn byte(c: u8) -> Node {
    let mut set = [false; 256];
    set[usize::from(c)] = true;
    Node::Set(Box::new(set))
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

impl Node {
    /// Whether the node can match the empty string.
    pub(crate) fn nullable(&self) -> bool {
        match self {
            Node::Empty | Node::Begin | Node::End => true,
            Node::Set(_) => false,
            Node::Group(_, n) => n.nullable(),
            Node::Concat(v) => v.iter().all(Node::nullable),
            Node::Alt(v) => v.iter().any(Node::nullable),
            Node::Repeat(n, min, _) => *min == 0 || n.nullable(),
        }
    }

    fn has_group(&self) -> bool {
        match self {
            Node::Group(..) => true,
            Node::Concat(v) | Node::Alt(v) => v.iter().any(Node::has_group),
            Node::Repeat(n, ..) => n.has_group(),
            _ => false,
        }
    }

    /// Whether there is an alternation anywhere.
    pub(crate) fn has_alt(&self) -> bool {
        match self {
            Node::Alt(_) => true,
            Node::Group(_, n) | Node::Repeat(n, ..) => n.has_alt(),
            Node::Concat(v) => v.iter().any(Node::has_alt),
            _ => false,
        }
    }

    /// Whether a repetition of something that can be empty holds a group:
    /// libstdc++ then records one more, empty, iteration than the `regex`
    /// crate does.
    pub(crate) fn has_nullable_repeated_group(&self) -> bool {
        match self {
            Node::Repeat(n, ..) => {
                (n.nullable() && n.has_group()) || n.has_nullable_repeated_group()
            }
            Node::Group(_, n) => n.has_nullable_repeated_group(),
            Node::Concat(v) | Node::Alt(v) => v.iter().any(Node::has_nullable_repeated_group),
            _ => false,
        }
    }

    /// `regex` crate syntax for this node.
    pub(crate) fn to_syntax(&self, out: &mut String) {
        match self {
            Node::Empty => out.push_str("(?:)"),
            Node::Set(set) => class_syntax(set, out),
            Node::Begin => out.push_str(r"\A"),
            Node::End => out.push_str(r"\z"),
            Node::Group(_, n) => {
                out.push('(');
                n.to_syntax(out);
                out.push(')');
            }
            Node::Concat(v) => {
                for n in v {
                    n.to_syntax(out);
                }
            }
            Node::Alt(v) => {
                out.push_str("(?:");
                for (i, n) in v.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    n.to_syntax(out);
                }
                out.push(')');
            }
            Node::Repeat(n, min, max) => {
                out.push_str("(?:");
                n.to_syntax(out);
                out.push(')');
                let _ = match max {
                    Some(max) => write!(out, "{{{min},{max}}}"),
                    None => write!(out, "{{{min},}}"),
                };
            }
        }
    }
}

/// A `regex` class for a set of bytes.
fn class_syntax(set: &[bool; 256], out: &mut String) {
    if !set.iter().any(|&x| x) {
        // Matches nothing.
        out.push_str(r"[^\x00-\xFF]");
        return;
    }
    out.push('[');
    let mut x = 0usize;
    while x < 256 {
        if set[x] {
            let start = x;
            while x + 1 < 256 && set[x + 1] {
                x += 1;
            }
            let _ = write!(out, r"\x{start:02X}-\x{x:02X}");
        }
        x += 1;
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::parse;

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
            assert!(parse(p.as_bytes()).is_err(), "{p} should be rejected");
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
            assert!(parse(p.as_bytes()).is_ok(), "{p} should be accepted");
        }
    }
}
