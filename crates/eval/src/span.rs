//! Source files and byte spans inside them.

use std::rc::Rc;

/// Identifies one source text known to an evaluator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// One source text and the name it is shown under.
#[derive(Debug)]
pub struct SourceFile {
    /// The name shown in diagnostics (a path, or `«string»`).
    pub name: String,
    /// The full text.
    pub text: Rc<str>,
}

/// Every source text an evaluator has parsed, indexed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a source text and returns its id.
    pub fn add(&mut self, name: String, text: Rc<str>) -> FileId {
        self.files.push(SourceFile { name, text });
        FileId((self.files.len() - 1) as u32)
    }

    /// Looks a file up by id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Line and column (both 1-based, column in characters) of a byte offset.
    pub fn line_col(&self, span: Span) -> Option<(usize, usize)> {
        let file = self.get(span.file)?;
        let upto = file.text.get(..span.start as usize)?;
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Some((line, col))
    }
}
