//! Evaluation errors: a kind, a primary span and a bounded trace.

use crate::span::Span;

/// How many "while evaluating …" frames an error keeps.
pub const MAX_TRACE: usize = 32;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// The source does not parse.
    #[error("syntax error: {0}")]
    Parse(String),
    /// A value had the wrong type.
    #[error("value is {found} while {expected} was expected")]
    Type {
        /// What was needed ("a string").
        expected: &'static str,
        /// What was found ("an integer").
        found: &'static str,
    },
    /// Selecting an attribute that does not exist.
    #[error("attribute '{name}' missing{}", suggest(.suggestions))]
    MissingAttr {
        /// The missing name.
        name: String,
        /// Existing names close to it.
        suggestions: Vec<String>,
    },
    /// A variable that is bound nowhere.
    #[error("undefined variable '{0}'")]
    UndefinedVar(String),
    /// An attribute defined twice in one set.
    #[error("attribute '{0}' already defined")]
    DuplicateAttr(String),
    /// Forcing a value that depends on itself.
    #[error("infinite recursion encountered")]
    InfiniteRecursion,
    /// `throw`
    #[error("{0}")]
    Throw(String),
    /// `abort`
    #[error("evaluation aborted with the following error message: '{0}'")]
    Abort(String),
    /// `assert` on a false condition.
    #[error("assertion '{0}' failed")]
    Assert(String),
    /// Integer arithmetic overflowed.
    #[error("integer overflow in {0}")]
    IntOverflow(String),
    /// Integer or float division by zero.
    #[error("division by zero")]
    DivByZero,
    /// A function was called without a required argument.
    #[error("function '{function}' called without required argument '{name}'")]
    MissingArgument {
        /// The function's name (`anonymous lambda` when it has none).
        function: String,
        /// The formal not supplied.
        name: String,
    },
    /// A function was called with an argument it does not take.
    #[error("function '{function}' called with unexpected argument '{name}'")]
    UnexpectedArgument {
        /// The function's name.
        function: String,
        /// The unexpected attribute.
        name: String,
    },
    /// Calling a value that is not a function.
    #[error("attempt to call something which is not a function but {0}")]
    NotAFunction(&'static str),
    /// `EvalOptions::max_steps` ran out.
    #[error("evaluation step budget exhausted")]
    StepBudget,
    /// The call depth limit was hit.
    #[error("stack overflow (max-call-depth exceeded)")]
    CallDepth,
    /// Reading a file failed.
    #[error("{0}")]
    Io(String),
    /// Any other error, with Nix's message.
    #[error("{0}")]
    Other(String),
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = s.iter().map(|n| n.to_string()).collect();
        format!("; did you mean {}?", quoted.join(", "))
    }
}

/// One "while evaluating …" frame.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceFrame {
    /// What was being done.
    pub message: String,
    /// Where.
    pub span: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
struct Repr {
    kind: ErrorKind,
    span: Option<Span>,
    trace: Vec<TraceFrame>,
}

/// An evaluation error. Boxed so that `Result<Value, EvalError>` stays small.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError(Box<Repr>);

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.kind.fmt(f)
    }
}

impl std::error::Error for EvalError {}

impl EvalError {
    /// A new error of `kind` at `span`.
    pub fn new(kind: ErrorKind, span: Option<Span>) -> Self {
        EvalError(Box::new(Repr {
            kind,
            span,
            trace: Vec::new(),
        }))
    }

    /// An [`ErrorKind::Other`] error.
    pub fn other(msg: impl Into<String>, span: Span) -> Self {
        Self::new(ErrorKind::Other(msg.into()), Some(span))
    }

    /// A type error.
    pub fn type_error(expected: &'static str, found: &'static str, span: Span) -> Self {
        Self::new(ErrorKind::Type { expected, found }, Some(span))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Where it went wrong.
    pub fn span(&self) -> Option<Span> {
        self.0.span
    }

    /// Sets the span if none is set yet.
    pub fn or_span(mut self, span: Span) -> Self {
        if self.0.span.is_none() {
            self.0.span = Some(span);
        }
        self
    }

    /// The trace, innermost first.
    pub fn trace(&self) -> &[TraceFrame] {
        &self.0.trace
    }

    /// Appends a trace frame (dropped once [`MAX_TRACE`] frames are kept).
    pub fn with_frame(mut self, message: impl FnOnce() -> String, span: Option<Span>) -> Self {
        if self.0.trace.len() < MAX_TRACE {
            self.0.trace.push(TraceFrame {
                message: message(),
                span,
            });
        }
        self
    }

    /// Whether `builtins.tryEval` catches this error (only `throw` and `assert`).
    pub fn is_catchable(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Throw(_) | ErrorKind::Assert(_))
    }
}

/// Result of evaluation.
pub type EvalResult<T> = Result<T, EvalError>;
