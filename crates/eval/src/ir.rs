//! The evaluator's intermediate representation.
//!
//! Lowering ([`crate::lower`]) turns the rnix syntax tree into this tree:
//! variables are resolved to `(depth, slot)` pairs, names are interned and
//! string escapes/indentation already processed. Every node that can fail
//! carries a [`Span`].

use std::rc::Rc;

use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{PosId, Value};

/// Shared expression handle (thunks point into the tree).
pub type ExprRef = Rc<Expr>;

/// A binary operator (unary minus lowers to `0 - e`, `!` has its own node).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `++`
    Concat,
    /// `//`
    Update,
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `->`
    Impl,
}

/// An attribute name in a path: known at lowering time or computed.
#[derive(Debug)]
pub enum AttrName {
    /// `a`, `"a"`
    Static(Symbol),
    /// `${e}`, `"${e}x"`
    Dynamic(ExprRef),
}

/// One piece of an interpolated string or path.
#[derive(Debug)]
pub enum StrPart {
    /// Literal text.
    Lit(String),
    /// `${e}`
    Interp(ExprRef),
}

/// Formal parameters of a lambda.
#[derive(Debug)]
pub enum Param {
    /// `x: …` — the argument goes in slot 0.
    Ident,
    /// `{ a, b ? d, ... } @ x: …`
    Formals {
        /// Names (slots `0..n`) and default expressions, sorted by symbol.
        formals: Vec<(Symbol, Option<ExprRef>)>,
        /// Whether `...` is present.
        ellipsis: bool,
        /// Whether there is an `@` binding (then it is the last slot).
        at: bool,
    },
}

/// A lambda's code.
#[derive(Debug)]
pub struct LambdaDef {
    /// The name it is bound to, if any (for errors).
    pub name: Option<Symbol>,
    /// The argument's name: `x` in `x: …` and in `{ … } @ x: …`.
    pub arg_name: Option<Symbol>,
    /// Parameters.
    pub param: Param,
    /// Number of slots in the body's frame.
    pub slots: usize,
    /// The body, evaluated in the new frame.
    pub body: ExprRef,
    /// The whole lambda.
    pub span: Span,
    /// Where each formal was written, sorted by symbol: the positions of
    /// `builtins.functionArgs`'s attributes (nixpkgs' `callPackage`
    /// names them in its "called without required argument" errors).
    pub formal_pos: Rc<[(Symbol, PosId)]>,
}

/// An attribute set literal (also the bindings of nested attribute paths).
#[derive(Debug)]
pub struct AttrsDef {
    /// `rec { }`: values are evaluated in a new frame whose slots are
    /// the static attributes, in order.
    pub rec: bool,
    /// Statically named attributes and where each is defined (for a
    /// `rec` set in slot order, otherwise sorted by symbol).
    pub statics: Vec<(Symbol, PosId, ExprRef)>,
    /// `${name} = value` entries, evaluated in order when the set is built.
    pub dynamics: Vec<(ExprRef, ExprRef, Span, PosId)>,
    /// The literal.
    pub span: Span,
}

/// An expression.
#[derive(Debug)]
pub enum Expr {
    /// A value known at lowering time.
    Const(Value),
    /// A lexical variable.
    Var {
        /// Frames to walk up.
        depth: u32,
        /// Slot in that frame.
        slot: u32,
        /// The occurrence.
        span: Span,
    },
    /// A variable only bound by enclosing `with`s.
    WithVar {
        /// The name.
        name: Symbol,
        /// Depths of the enclosing `with` frames, innermost first.
        withs: Box<[u32]>,
        /// The occurrence.
        span: Span,
    },
    /// An interpolated string.
    Str(Vec<StrPart>, Span),
    /// An interpolated path; the first part is made absolute at lowering.
    Path(Vec<StrPart>, Span),
    /// `<name/rest>`
    SearchPath(String, Span),
    /// `{ … }` / `rec { … }`
    Attrs(Box<AttrsDef>),
    /// `[ … ]`
    List(Vec<ExprRef>),
    /// `e.a.b or d`
    Select {
        /// The set.
        expr: ExprRef,
        /// The path.
        path: Vec<AttrName>,
        /// The `or` default.
        default: Option<ExprRef>,
        /// The whole select.
        span: Span,
    },
    /// `e ? a.b`
    HasAttr {
        /// The set.
        expr: ExprRef,
        /// The path.
        path: Vec<AttrName>,
        /// The expression.
        span: Span,
    },
    /// A function literal.
    Lambda(Rc<LambdaDef>),
    /// `f x`
    Apply {
        /// The function.
        func: ExprRef,
        /// The argument.
        arg: ExprRef,
        /// The call.
        span: Span,
    },
    /// `let … in body`: a new frame holding `bindings`.
    Let {
        /// One expression per slot, evaluated lazily in the new frame.
        bindings: Vec<ExprRef>,
        /// The body.
        body: ExprRef,
    },
    /// `with ns; body`: a new frame whose slot 0 holds `ns`.
    With {
        /// The namespace set.
        ns: ExprRef,
        /// The body.
        body: ExprRef,
    },
    /// `if c then a else b`
    If {
        /// Condition.
        cond: ExprRef,
        /// Then branch.
        then: ExprRef,
        /// Else branch.
        else_: ExprRef,
        /// The condition's span.
        span: Span,
    },
    /// `assert c; body`
    Assert {
        /// Condition.
        cond: ExprRef,
        /// Body.
        body: ExprRef,
        /// Condition source text, for the message.
        text: String,
        /// The assert.
        span: Span,
    },
    /// A binary operation.
    BinOp {
        /// Which.
        op: BinOp,
        /// Left operand.
        lhs: ExprRef,
        /// Right operand.
        rhs: ExprRef,
        /// The operation.
        span: Span,
    },
    /// `!e`
    Not(ExprRef, Span),
}

impl Expr {
    /// The span of this node, if it has one of its own.
    pub fn span(&self) -> Option<Span> {
        match self {
            Expr::Var { span, .. }
            | Expr::WithVar { span, .. }
            | Expr::Str(_, span)
            | Expr::Path(_, span)
            | Expr::SearchPath(_, span)
            | Expr::Select { span, .. }
            | Expr::HasAttr { span, .. }
            | Expr::Apply { span, .. }
            | Expr::If { span, .. }
            | Expr::Assert { span, .. }
            | Expr::BinOp { span, .. }
            | Expr::Not(_, span) => Some(*span),
            Expr::Attrs(a) => Some(a.span),
            Expr::Lambda(l) => Some(l.span),
            Expr::Const(_) | Expr::List(_) | Expr::Let { .. } | Expr::With { .. } => None,
        }
    }
}
