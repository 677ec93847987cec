//! Source positions as Nix shows them to programs: `{ file, line, column }`
//! for `unsafeGetAttrPos`, and the `path`/`line`/`column` of `--xml`.
//! Nix counts columns in bytes (1-based), not characters.

use std::rc::Rc;

use crate::eval::Machine;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{Attrs, Value};

/// A resolved position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pos {
    /// The file name (or `«string»`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in bytes.
    pub column: usize,
}

impl Machine {
    /// Resolves the start of `span` to file, line and byte column.
    pub fn pos_of(&self, span: Span) -> Option<Pos> {
        let file = self.sources.get(span.file)?;
        let upto = file.text.as_bytes().get(..span.start as usize)?;
        let line = upto.iter().filter(|&&c| c == b'\n').count() + 1;
        let line_start = upto.iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1);
        Some(Pos {
            file: file.name.clone(),
            line,
            column: upto.len() - line_start + 1,
        })
    }

    /// `{ column = …; file = …; line = …; }` for `span`, or `null`.
    pub(crate) fn pos_value(&self, span: Span) -> Value {
        let Some(p) = self.pos_of(span) else {
            return Value::Null;
        };
        Value::Attrs(Rc::new(Attrs::from_unsorted(vec![
            (Symbol::intern("file"), Value::string(p.file)),
            (Symbol::intern("line"), Value::Int(p.line as i64)),
            (Symbol::intern("column"), Value::Int(p.column as i64)),
        ])))
    }
}
