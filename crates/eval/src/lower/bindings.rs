//! Attribute-set and `let` bindings: nested paths (`a.b.c = 1`) merged
//! across definitions, `inherit`, `inherit (e)`, dynamic names.

use std::rc::Rc;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::{LResult, Lowerer, attr_static_name};
use crate::error::{ErrorKind, EvalError};
use crate::ir::{AttrName, AttrsDef, Expr, ExprRef};
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{PosId, Value};

/// A binding's value while an attribute set is being assembled.
pub(super) enum PVal {
    Expr(ast::Expr),
    Inherit {
        from: Option<usize>,
        name: Symbol,
        outer: bool,
        span: Span,
    },
    Nested(PSet, Span),
}

#[derive(Default)]
pub(super) struct PSet {
    /// `inherit (e)` sources, lowered once in the set's own scope.
    pub(super) froms: Vec<ast::Expr>,
    pub(super) statics: Vec<(Symbol, PVal, Span)>,
    pub(super) dynamics: Vec<(ast::Attr, PVal, Span)>,
}

impl Lowerer<'_> {
    /// Gathers the bindings of a set or `let`, merging nested attribute paths.
    pub(super) fn collect(&mut self, node: &impl HasEntry, outer_inherit: bool) -> LResult<PSet> {
        let mut set = PSet::default();
        self.collect_into(&mut set, node, outer_inherit)?;
        Ok(set)
    }

    fn collect_into(&mut self, set: &mut PSet, node: &impl HasEntry, outer: bool) -> LResult<()> {
        for entry in node.entries() {
            match entry {
                ast::Entry::Inherit(inh) => {
                    let from = match inh.from().map(|f| (f.expr(), f)) {
                        Some((Some(e), _)) => {
                            set.froms.push(e);
                            Some(set.froms.len() - 1)
                        }
                        Some((None, f)) => {
                            return Err(self.err(ErrorKind::Parse("missing expression".into()), &f));
                        }
                        None => None,
                    };
                    // Nix 2.8 places every inherited name just after the
                    // token before the list (`inherit` or the `)`).
                    let site_at: u32 = match inh.from() {
                        Some(f) => f.syntax().text_range().end().into(),
                        None => inh
                            .syntax()
                            .first_token()
                            .map_or(inh.syntax().text_range().start(), |t| t.text_range().end())
                            .into(),
                    };
                    let site = self.span_at(site_at, site_at);
                    for attr in inh.attrs() {
                        let span = self.span(&attr);
                        let name = attr_static_name(&attr).ok_or_else(|| {
                            self.err(
                                ErrorKind::Parse(
                                    "dynamic attributes not allowed in inherit".into(),
                                ),
                                &attr,
                            )
                        })?;
                        if set.statics.iter().any(|s| s.0 == name) {
                            return Err(
                                self.err(ErrorKind::DuplicateAttr(name.as_str().into()), &attr)
                            );
                        }
                        let v = PVal::Inherit {
                            from,
                            name,
                            outer: outer && from.is_none(),
                            span,
                        };
                        set.statics.push((name, v, site));
                    }
                }
                ast::Entry::AttrpathValue(apv) => {
                    let path: Vec<ast::Attr> = apv
                        .attrpath()
                        .ok_or_else(|| {
                            self.err(ErrorKind::Parse("missing attribute path".into()), &apv)
                        })?
                        .attrs()
                        .collect();
                    let value = apv
                        .value()
                        .ok_or_else(|| self.err(ErrorKind::Parse("missing value".into()), &apv))?;
                    self.insert(set, &path, value, "", None)?;
                }
            }
        }
        Ok(())
    }

    fn insert(
        &mut self,
        set: &mut PSet,
        path: &[ast::Attr],
        value: ast::Expr,
        prefix: &str,
        site: Option<Span>,
    ) -> LResult<()> {
        let Some((first, rest)) = path.split_first() else {
            return Ok(());
        };
        let span = self.span(first);
        // Nix reports every attribute of `a.b.c = …` at the start of the path.
        let site = site.unwrap_or(span);
        let Some(sym) = attr_static_name(first) else {
            let v = if rest.is_empty() {
                PVal::Expr(value)
            } else {
                let mut inner = PSet::default();
                self.insert(&mut inner, rest, value, "", Some(site))?;
                PVal::Nested(inner, span)
            };
            set.dynamics.push((first.clone(), v, site));
            return Ok(());
        };
        let existing = set.statics.iter().position(|s| s.0 == sym);
        let full = format!("{prefix}{sym}");
        let dup = || EvalError::new(ErrorKind::DuplicateAttr(full.clone()), Some(span));
        let prefix = format!("{full}.");
        match existing {
            None => {
                let v = if rest.is_empty() {
                    PVal::Expr(value)
                } else {
                    let mut inner = PSet::default();
                    self.insert(&mut inner, rest, value, &prefix, Some(site))?;
                    PVal::Nested(inner, span)
                };
                set.statics.push((sym, v, site));
            }
            Some(i) => {
                // Merge into an existing nested set or non-rec set literal.
                let slot = &mut set.statics[i].1;
                if let PVal::Expr(ast::Expr::AttrSet(lit)) = slot {
                    if lit.rec_token().is_some() {
                        return Err(dup());
                    }
                    let lit = lit.clone();
                    let mut inner = PSet::default();
                    self.collect_into(&mut inner, &lit, false)?;
                    *slot = PVal::Nested(inner, span);
                }
                let PVal::Nested(inner, _) = &mut set.statics[i].1 else {
                    return Err(dup());
                };
                if rest.is_empty() {
                    match value {
                        ast::Expr::AttrSet(lit) if lit.rec_token().is_none() => {
                            self.collect_into(inner, &lit, false)?;
                        }
                        _ => return Err(dup()),
                    }
                } else {
                    self.insert(inner, rest, value, &prefix, Some(site))?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn lower_froms(&mut self, froms: &[ast::Expr]) -> LResult<Vec<ExprRef>> {
        froms.iter().map(|e| self.expr(e.clone(), None)).collect()
    }

    pub(super) fn pval(&mut self, v: PVal, name: Symbol, froms: &[ExprRef]) -> LResult<ExprRef> {
        match v {
            PVal::Expr(e) => self.expr(e, Some(name)),
            PVal::Inherit {
                from: None,
                name,
                outer,
                span,
            } => Ok(Rc::new(self.resolve(name, span, usize::from(outer))?)),
            PVal::Inherit {
                from: Some(from),
                name,
                span,
                ..
            } => Ok(Rc::new(Expr::Select {
                expr: froms.get(from).cloned().ok_or_else(|| {
                    EvalError::new(
                        ErrorKind::Other("internal error: inherit source".into()),
                        Some(span),
                    )
                })?,
                path: vec![AttrName::Static(name)],
                default: None,
                span,
            })),
            PVal::Nested(set, span) => {
                Ok(Rc::new(Expr::Attrs(Box::new(self.pset(set, false, span)?))))
            }
        }
    }

    pub(super) fn pset(&mut self, set: PSet, rec: bool, span: Span) -> LResult<AttrsDef> {
        let froms = self.lower_froms(&set.froms)?;
        let mut statics = set
            .statics
            .into_iter()
            .map(|(sym, v, site)| Ok((sym, PosId::new(site), self.pval(v, sym, &froms)?)))
            .collect::<LResult<Vec<_>>>()?;
        if !rec {
            // The frame of a `rec` set follows definition order; a plain
            // set is built in symbol order without sorting at run time.
            statics.sort_by_key(|s| s.0);
        }
        let mut dynamics = Vec::new();
        for (attr, v, span) in set.dynamics {
            let name = match self.attr_name(&attr)? {
                AttrName::Dynamic(e) => e,
                AttrName::Static(s) => Rc::new(Expr::Const(Value::string(s.as_str()))),
            };
            let value = self.pval(v, Symbol::intern(""), &froms)?;
            dynamics.push((name, value, span, PosId::new(span)));
        }
        Ok(AttrsDef {
            rec,
            statics,
            dynamics,
            span,
        })
    }
}
