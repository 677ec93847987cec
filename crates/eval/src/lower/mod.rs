//! Lowering: rnix syntax tree → [`crate::ir`], resolving variables.
//!
//! Invariant: lowering does no IO and evaluates nothing; it only needs the
//! source text, the directory relative paths are resolved against, and the
//! names of the global (base) scope.

mod bindings;

use std::rc::Rc;

use rnix::ast::{self, AstToken, InterpolPart};
use rowan::ast::AstNode;
use rustc_hash::FxHashMap;

use crate::error::{ErrorKind, EvalError};
use crate::indent::{Piece, indented_parts};
use crate::ir::{AttrName, BinOp, Expr, ExprRef, LambdaDef, Param, StrPart};
use crate::span::{FileId, Span};
use crate::symbol::Symbol;
use crate::value::Value;

type LResult<T> = Result<T, EvalError>;

/// A compile-time scope, mirroring one runtime [`crate::value::Env`] frame.
enum Scope {
    Vars(FxHashMap<Symbol, u32>),
    With,
}

/// Lowers one parsed file.
pub struct Lowerer<'a> {
    file: FileId,
    file_name: &'a str,
    source: &'a str,
    base_dir: &'a str,
    home: Option<&'a str>,
    scopes: Vec<Scope>,
    depth: usize,
}

/// Deepest expression nesting accepted (deeper input is an error, not a crash).
pub const MAX_NESTING: usize = 50_000;

/// Parses and lowers `source` (parse errors become [`ErrorKind::Parse`]).
pub fn lower_source(
    source: &str,
    file: FileId,
    file_name: &str,
    base_dir: &str,
    home: Option<&str>,
    globals: &FxHashMap<Symbol, u32>,
) -> LResult<ExprRef> {
    // Parsing, lowering and dropping the syntax tree all recurse as deep as
    // the source nests, which is bounded by its length: give big sources a
    // big enough stack up front.
    let stack = (source.len() * 160).clamp(1 << 20, 1 << 30);
    stacker::grow(stack, || {
        lower_inner(source, file, file_name, base_dir, home, globals)
    })
}

fn lower_inner(
    source: &str,
    file: FileId,
    file_name: &str,
    base_dir: &str,
    home: Option<&str>,
    globals: &FxHashMap<Symbol, u32>,
) -> LResult<ExprRef> {
    let parse = rnix::Root::parse(source);
    if let Some(err) = parse.errors().first() {
        let (msg, range) = parse_error(err, source.len() as u32);
        let span = Span {
            file,
            start: range.0,
            end: range.1,
        };
        return Err(EvalError::new(ErrorKind::Parse(msg), Some(span)));
    }
    let root = parse.tree();
    let mut l = Lowerer {
        file,
        file_name,
        source,
        base_dir,
        home,
        scopes: vec![Scope::Vars(globals.clone())],
        depth: 0,
    };
    let expr = root.expr().ok_or_else(|| {
        EvalError::new(
            ErrorKind::Parse("empty expression".into()),
            Some(l.span_at(0, 0)),
        )
    })?;
    l.expr(expr, None)
}

fn parse_error(err: &rnix::ParseError, len: u32) -> (String, (u32, u32)) {
    use rnix::ParseError as P;
    let r = |t: rowan::TextRange| (u32::from(t.start()), u32::from(t.end()));
    match err {
        P::Unexpected(t) => ("unexpected token".into(), r(*t)),
        P::UnexpectedExtra(t) => ("unexpected extra input".into(), r(*t)),
        P::UnexpectedWanted(got, t, want) => (
            format!("unexpected {got:?}, expected one of {want:?}"),
            r(*t),
        ),
        P::UnexpectedDoubleBind(t) => ("unexpected double bind".into(), r(*t)),
        P::UnexpectedEOF => ("unexpected end of file".into(), (len, len)),
        P::UnexpectedEOFWanted(w) => (
            format!("unexpected end of file, expected {w:?}"),
            (len, len),
        ),
        P::DuplicatedArgs(t, name) => (
            format!("duplicate formal function argument '{name}'"),
            r(*t),
        ),
        P::RecursionLimitExceeded => ("recursion limit exceeded".into(), (len, len)),
        other => (format!("{other:?}"), (len, len)),
    }
}

/// Canonicalises an absolute path like Nix's `canonPath` (no symlink resolution).
pub fn canon_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        "/".to_owned()
    } else {
        format!("/{}", parts.join("/"))
    }
}

fn attr_static_name(attr: &ast::Attr) -> Option<Symbol> {
    match attr {
        ast::Attr::Ident(i) => Some(Symbol::intern(&ident_text(i))),
        ast::Attr::Str(s) => static_str(s).map(|s| Symbol::intern(&s)),
        ast::Attr::Dynamic(d) => match d.expr()? {
            ast::Expr::Str(s) => static_str(&s).map(|s| Symbol::intern(&s)),
            _ => None,
        },
    }
}

fn static_str(s: &ast::Str) -> Option<String> {
    let mut out = String::new();
    for p in s.normalized_parts() {
        match p {
            InterpolPart::Literal(t) => out.push_str(&t),
            InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

fn ident_text(i: &ast::Ident) -> String {
    i.syntax().text().to_string()
}

impl Lowerer<'_> {
    fn span_at(&self, start: u32, end: u32) -> Span {
        Span {
            file: self.file,
            start,
            end,
        }
    }

    fn span(&self, node: &impl AstNode) -> Span {
        let r = node.syntax().text_range();
        self.span_at(r.start().into(), r.end().into())
    }

    fn err(&self, kind: ErrorKind, node: &impl AstNode) -> EvalError {
        EvalError::new(kind, Some(self.span(node)))
    }

    /// Resolves a variable, ignoring the innermost `skip` scopes.
    fn resolve(&self, name: Symbol, span: Span, skip: usize) -> LResult<Expr> {
        let mut withs = Vec::new();
        for (depth, scope) in self.scopes.iter().rev().enumerate().skip(skip) {
            match scope {
                Scope::Vars(m) => {
                    if let Some(&slot) = m.get(&name) {
                        return Ok(Expr::Var {
                            depth: depth as u32,
                            slot,
                            span,
                        });
                    }
                }
                Scope::With => withs.push(depth as u32),
            }
        }
        if withs.is_empty() {
            Err(EvalError::new(
                ErrorKind::UndefinedVar(name.as_str().to_owned()),
                Some(span),
            ))
        } else {
            Ok(Expr::WithVar {
                name,
                withs: withs.into_boxed_slice(),
                span,
            })
        }
    }

    fn sub(&mut self, e: Option<ast::Expr>, parent: &impl AstNode) -> LResult<ExprRef> {
        match e {
            Some(e) => self.expr(e, None),
            None => Err(self.err(ErrorKind::Parse("missing expression".into()), parent)),
        }
    }

    /// Lowers an expression; `name` names a lambda bound to an attribute.
    pub fn expr(&mut self, e: ast::Expr, name: Option<Symbol>) -> LResult<ExprRef> {
        if self.depth >= MAX_NESTING {
            return Err(self.err(
                ErrorKind::Parse(format!(
                    "expression nested more than {MAX_NESTING} levels deep"
                )),
                &e,
            ));
        }
        self.depth += 1;
        let r = stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || self.expr_inner(e, name));
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, e: ast::Expr, name: Option<Symbol>) -> LResult<ExprRef> {
        let span = self.span(&e);
        let out = match e {
            ast::Expr::Literal(lit) => match lit.kind() {
                ast::LiteralKind::Integer(i) => match i.value() {
                    Ok(v) => Expr::Const(Value::Int(v)),
                    Err(_) => {
                        return Err(self.err(
                            ErrorKind::Parse(format!("invalid integer '{}'", i.syntax().text())),
                            &lit,
                        ));
                    }
                },
                ast::LiteralKind::Float(f) => match f.value() {
                    Ok(v) => Expr::Const(Value::Float(v)),
                    Err(_) => {
                        return Err(self.err(ErrorKind::Parse("invalid float".into()), &lit));
                    }
                },
                ast::LiteralKind::Uri(u) => Expr::Const(Value::string(u.syntax().text())),
            },
            ast::Expr::Str(s) => {
                let parts = self.str_parts(&s)?;
                match parts.as_slice() {
                    [] => Expr::Const(Value::string("")),
                    [StrPart::Lit(t)] => Expr::Const(Value::string(t.clone())),
                    _ => Expr::Str(parts, span),
                }
            }
            ast::Expr::PathAbs(p) => self.path(p.parts(), span)?,
            ast::Expr::PathRel(p) => self.path(p.parts(), span)?,
            ast::Expr::PathHome(p) => self.path(p.parts(), span)?,
            ast::Expr::PathSearch(p) => {
                let text = p.content().map(|c| c.text().to_owned()).unwrap_or_default();
                let inner = text
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned();
                Expr::SearchPath(inner, span)
            }
            ast::Expr::Ident(i) => {
                let sym = Symbol::intern(&ident_text(&i));
                self.resolve(sym, span, 0)?
            }
            ast::Expr::Paren(p) => return self.sub(p.expr(), &p),
            ast::Expr::Root(r) => return self.sub(r.expr(), &r),
            ast::Expr::List(l) => {
                let items = l
                    .items()
                    .map(|i| self.expr(i, None))
                    .collect::<LResult<_>>()?;
                Expr::List(items)
            }
            ast::Expr::Apply(a) => {
                let func = self.sub(a.lambda(), &a)?;
                let arg = self.sub(a.argument(), &a)?;
                Expr::Apply { func, arg, span }
            }
            ast::Expr::IfElse(i) => Expr::If {
                span: i.condition().map_or(span, |c| self.span(&c)),
                cond: self.sub(i.condition(), &i)?,
                then: self.sub(i.body(), &i)?,
                else_: self.sub(i.else_body(), &i)?,
            },
            ast::Expr::Assert(a) => Expr::Assert {
                text: a
                    .condition()
                    .map(|c| c.syntax().text().to_string())
                    .unwrap_or_default(),
                span: a.condition().map_or(span, |c| self.span(&c)),
                cond: self.sub(a.condition(), &a)?,
                body: self.sub(a.body(), &a)?,
            },
            ast::Expr::UnaryOp(u) => {
                let inner = self.sub(u.expr(), &u)?;
                match u.operator() {
                    Some(ast::UnaryOpKind::Invert) => Expr::Not(inner, span),
                    _ => Expr::BinOp {
                        op: BinOp::Sub,
                        lhs: Rc::new(Expr::Const(Value::Int(0))),
                        rhs: inner,
                        span,
                    },
                }
            }
            ast::Expr::BinOp(b) => self.binop(b, span)?,
            ast::Expr::Select(s) => {
                let expr = self.sub(s.expr(), &s)?;
                let path = self.attrpath(s.attrpath(), &s)?;
                let default = match s.default_expr() {
                    Some(d) => Some(self.expr(d, None)?),
                    None => None,
                };
                Expr::Select {
                    expr,
                    path,
                    default,
                    span,
                }
            }
            ast::Expr::HasAttr(h) => {
                let expr = self.sub(h.expr(), &h)?;
                let path = self.attrpath(h.attrpath(), &h)?;
                Expr::HasAttr { expr, path, span }
            }
            ast::Expr::With(w) => {
                let ns = self.sub(w.namespace(), &w)?;
                self.scopes.push(Scope::With);
                let body = self.sub(w.body(), &w);
                self.scopes.pop();
                Expr::With { ns, body: body? }
            }
            ast::Expr::Lambda(l) => self.lambda(l, name, span)?,
            ast::Expr::LetIn(l) => {
                let set = self.collect(&l, true)?;
                if let Some((_, _, span)) = set.dynamics.first() {
                    return Err(EvalError::new(
                        ErrorKind::Other("dynamic attributes not allowed in let".into()),
                        Some(*span),
                    ));
                }
                let map = set
                    .statics
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.0, i as u32))
                    .collect();
                self.scopes.push(Scope::Vars(map));
                let res = (|| {
                    let froms = self.lower_froms(&set.froms)?;
                    let bindings = set
                        .statics
                        .into_iter()
                        .map(|(sym, v, _)| self.pval(v, sym, &froms))
                        .collect::<LResult<Vec<_>>>()?;
                    let body = self.sub(l.body(), &l)?;
                    Ok(Expr::Let { bindings, body })
                })();
                self.scopes.pop();
                res?
            }
            ast::Expr::AttrSet(a) => {
                let rec = a.rec_token().is_some();
                let set = self.collect(&a, rec)?;
                if rec {
                    let map = set
                        .statics
                        .iter()
                        .enumerate()
                        .map(|(i, s)| (s.0, i as u32))
                        .collect();
                    self.scopes.push(Scope::Vars(map));
                    let res = self.pset(set, true, span);
                    self.scopes.pop();
                    Expr::Attrs(Box::new(res?))
                } else {
                    Expr::Attrs(Box::new(self.pset(set, false, span)?))
                }
            }
            ast::Expr::LegacyLet(l) => {
                // `let { …; body = e; }` is `(rec { …; body = e; }).body`.
                let set = self.collect(&l, true)?;
                let map = set
                    .statics
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.0, i as u32))
                    .collect();
                self.scopes.push(Scope::Vars(map));
                let res = self.pset(set, true, span);
                self.scopes.pop();
                Expr::Select {
                    expr: Rc::new(Expr::Attrs(Box::new(res?))),
                    path: vec![AttrName::Static(Symbol::intern("body"))],
                    default: None,
                    span,
                }
            }
            ast::Expr::CurPos(_) => {
                let upto = &self.source[..(span.start as usize).min(self.source.len())];
                let line = upto.matches('\n').count() + 1;
                let col = upto.rsplit('\n').next().map_or(0, str::len) + 1;
                Expr::Const(Value::Attrs(Rc::new(crate::value::Attrs::from_unsorted(
                    vec![
                        (Symbol::intern("file"), Value::string(self.file_name)),
                        (Symbol::intern("line"), Value::Int(line as i64)),
                        (Symbol::intern("column"), Value::Int(col as i64)),
                    ],
                ))))
            }
            ast::Expr::Error(e) => {
                return Err(self.err(ErrorKind::Parse("syntax error".into()), &e));
            }
        };
        Ok(Rc::new(out))
    }

    fn binop(&mut self, b: ast::BinOp, span: Span) -> LResult<Expr> {
        use ast::BinOpKind as K;
        let lhs = self.sub(b.lhs(), &b)?;
        let rhs = self.sub(b.rhs(), &b)?;
        let op = match b.operator() {
            Some(K::Add) => BinOp::Add,
            Some(K::Sub) => BinOp::Sub,
            Some(K::Mul) => BinOp::Mul,
            Some(K::Div) => BinOp::Div,
            Some(K::Concat) => BinOp::Concat,
            Some(K::Update) => BinOp::Update,
            Some(K::Equal) => BinOp::Eq,
            Some(K::NotEqual) => BinOp::NotEq,
            Some(K::Less) => BinOp::Lt,
            Some(K::LessOrEq) => BinOp::LtEq,
            Some(K::More) => BinOp::Gt,
            Some(K::MoreOrEq) => BinOp::GtEq,
            Some(K::And) => BinOp::And,
            Some(K::Or) => BinOp::Or,
            Some(K::Implication) => BinOp::Impl,
            Some(K::PipeLeft | K::PipeRight) | None => {
                return Err(EvalError::new(
                    ErrorKind::Parse("the pipe operators are not supported".into()),
                    Some(span),
                ));
            }
        };
        Ok(Expr::BinOp { op, lhs, rhs, span })
    }

    fn str_parts(&mut self, s: &ast::Str) -> LResult<Vec<StrPart>> {
        let multiline = s.syntax().first_token().is_some_and(|t| t.text() == "''");
        let pieces: Vec<Piece> = if multiline {
            indented_parts(s)
        } else {
            s.normalized_parts()
                .into_iter()
                .map(|p| match p {
                    InterpolPart::Literal(t) => Piece::Lit(t),
                    InterpolPart::Interpolation(i) => Piece::Interp(i),
                })
                .collect()
        };
        let mut parts = Vec::new();
        for p in pieces {
            match p {
                Piece::Lit(t) => {
                    if t.is_empty() {
                        continue;
                    }
                    if let Some(StrPart::Lit(prev)) = parts.last_mut() {
                        prev.push_str(&t);
                    } else {
                        parts.push(StrPart::Lit(t));
                    }
                }
                Piece::Interp(i) => parts.push(StrPart::Interp(self.sub(i.expr(), &i)?)),
            }
        }
        Ok(parts)
    }

    fn path(&mut self, raw: Vec<InterpolPart<ast::PathContent>>, span: Span) -> LResult<Expr> {
        let mut parts = Vec::new();
        for (i, p) in raw.into_iter().enumerate() {
            match p {
                InterpolPart::Literal(c) => {
                    let mut text = c.text().to_owned();
                    if i == 0 {
                        text = if let Some(rest) = text.strip_prefix("~/") {
                            let home = self.home.ok_or_else(|| {
                                EvalError::new(
                                    ErrorKind::Other("cannot resolve '~': HOME is not set".into()),
                                    Some(span),
                                )
                            })?;
                            format!("{home}/{rest}")
                        } else if text.starts_with('/') {
                            text
                        } else {
                            format!("{}/{}", self.base_dir, text)
                        };
                    }
                    parts.push(StrPart::Lit(text));
                }
                InterpolPart::Interpolation(ip) => {
                    parts.push(StrPart::Interp(self.sub(ip.expr(), &ip)?))
                }
            }
        }
        if let [StrPart::Lit(t)] = parts.as_slice() {
            return Ok(Expr::Const(Value::Path(canon_path(t).into())));
        }
        Ok(Expr::Path(parts, span))
    }

    fn attrpath(
        &mut self,
        p: Option<ast::Attrpath>,
        parent: &impl AstNode,
    ) -> LResult<Vec<AttrName>> {
        let p =
            p.ok_or_else(|| self.err(ErrorKind::Parse("missing attribute path".into()), parent))?;
        p.attrs().map(|a| self.attr_name(&a)).collect()
    }

    fn attr_name(&mut self, a: &ast::Attr) -> LResult<AttrName> {
        if let Some(sym) = attr_static_name(a) {
            return Ok(AttrName::Static(sym));
        }
        Ok(AttrName::Dynamic(match a {
            ast::Attr::Dynamic(d) => self.sub(d.expr(), d)?,
            ast::Attr::Str(s) => self.expr(ast::Expr::Str(s.clone()), None)?,
            ast::Attr::Ident(i) => {
                return Err(self.err(ErrorKind::Parse("bad attribute".into()), i));
            }
        }))
    }

    fn lambda(&mut self, l: ast::Lambda, name: Option<Symbol>, span: Span) -> LResult<Expr> {
        let param = l
            .param()
            .ok_or_else(|| self.err(ErrorKind::Parse("missing parameter".into()), &l))?;
        let mut arg_name = None;
        let mut formal_pos = Vec::new();
        let (param_def, map, slots, defaults) = match param {
            ast::Param::IdentParam(ip) => {
                let ident = ip
                    .ident()
                    .ok_or_else(|| self.err(ErrorKind::Parse("bad parameter".into()), &ip))?;
                let mut map = FxHashMap::default();
                let sym = Symbol::intern(&ident_text(&ident));
                arg_name = Some(sym);
                map.insert(sym, 0);
                (Param::Ident, map, 1, Vec::new())
            }
            ast::Param::Pattern(p) => {
                let mut map = FxHashMap::default();
                let mut names = Vec::new();
                let mut defaults = Vec::new();
                for entry in p.pat_entries() {
                    let ident = entry
                        .ident()
                        .ok_or_else(|| self.err(ErrorKind::Parse("bad formal".into()), &entry))?;
                    let sym = Symbol::intern(&ident_text(&ident));
                    if map.insert(sym, names.len() as u32).is_some() {
                        return Err(self.err(
                            ErrorKind::Parse(format!("duplicate formal function argument '{sym}'")),
                            &entry,
                        ));
                    }
                    names.push(sym);
                    formal_pos.push((sym, crate::value::PosId::new(self.span(&ident))));
                    defaults.push(entry.default());
                }
                let at = match p.pat_bind().and_then(|b| b.ident()) {
                    Some(ident) => {
                        let sym = Symbol::intern(&ident_text(&ident));
                        arg_name = Some(sym);
                        if map.insert(sym, names.len() as u32).is_some() {
                            return Err(self.err(
                                ErrorKind::Parse(format!(
                                    "duplicate formal function argument '{sym}'"
                                )),
                                &ident,
                            ));
                        }
                        true
                    }
                    None => false,
                };
                let n = names.len() + usize::from(at);
                let formals = names.into_iter().map(|s| (s, None)).collect();
                (
                    Param::Formals {
                        formals,
                        ellipsis: p.ellipsis_token().is_some(),
                        at,
                    },
                    map,
                    n,
                    defaults,
                )
            }
        };
        formal_pos.sort_by_key(|e: &(Symbol, crate::value::PosId)| e.0);
        self.scopes.push(Scope::Vars(map));
        let res = (|| {
            let mut param = param_def;
            if let Param::Formals { formals, .. } = &mut param {
                for (f, d) in formals.iter_mut().zip(defaults) {
                    if let Some(d) = d {
                        f.1 = Some(self.expr(d, None)?);
                    }
                }
            }
            let body = self.sub(l.body(), &l)?;
            Ok(LambdaDef {
                name,
                arg_name,
                param,
                slots,
                body,
                span,
                formal_pos: formal_pos.into(),
            })
        })();
        self.scopes.pop();
        Ok(Expr::Lambda(Rc::new(res?)))
    }
}

#[cfg(test)]
mod tests {
    use super::canon_path;

    #[test]
    fn paths_are_canonicalised_without_touching_disk() {
        assert_eq!(canon_path("/a/./b//c/../d/"), "/a/b/d");
        assert_eq!(canon_path("/.."), "/");
        assert_eq!(canon_path("/"), "/");
    }
}
