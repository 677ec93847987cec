//! XML output: `builtins.toXML` and `nix-instantiate --eval --xml`, in
//! Nix's exact layout (two-space indentation, attributes of an element in
//! name order, `<unevaluated />` for what is not forced).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use rustc_hash::FxHashSet;

use crate::error::EvalResult;
use crate::eval::Machine;
use crate::ir::Param;
use crate::ops::format_float;
use crate::span::Span;
use crate::symbol::Symbol;
use crate::value::{NixString, ThunkState, Value};

/// What to include while printing.
#[derive(Clone, Copy, Debug)]
pub struct XmlOptions {
    /// Force values while printing (`--strict`, always for `toXML`).
    pub strict: bool,
    /// Add `path`/`line`/`column` to attributes and functions.
    pub location: bool,
}

struct Writer {
    out: String,
    depth: usize,
}

type XmlAttrs<'a> = BTreeMap<&'static str, String>;

impl Writer {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn tag(&mut self, name: &str, attrs: &XmlAttrs<'_>, empty: bool) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"");
            escape(v, &mut self.out);
            self.out.push('"');
        }
        self.out.push_str(if empty { " />\n" } else { ">\n" });
    }

    fn empty(&mut self, name: &str, attrs: &XmlAttrs<'_>) {
        self.tag(name, attrs, true);
    }

    fn open(&mut self, name: &str, attrs: &XmlAttrs<'_>) {
        self.tag(name, attrs, false);
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
    }
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("&#xA;"),
            c => out.push(c),
        }
    }
}

fn one(key: &'static str, value: impl Into<String>) -> XmlAttrs<'static> {
    let mut a = BTreeMap::new();
    a.insert(key, value.into());
    a
}

/// The string in `v` if it is an evaluated string (Nix looks at
/// `drvPath`/`outPath` without forcing them unless strict).
fn evaluated_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.text.clone()),
        Value::Thunk(t) => match &*t.0.borrow() {
            ThunkState::Done(Value::String(s)) => Some(s.text.clone()),
            _ => None,
        },
        _ => None,
    }
}

impl Machine {
    /// Renders `v` as Nix's XML document; string contexts met are merged
    /// into `ctx`.
    pub fn to_xml(
        &mut self,
        v: &Value,
        opts: XmlOptions,
        ctx: &mut NixString,
    ) -> EvalResult<String> {
        let mut w = Writer {
            out: String::from("<?xml version='1.0' encoding='utf-8'?>\n"),
            depth: 0,
        };
        w.open("expr", &BTreeMap::new());
        let mut drvs_seen = FxHashSet::default();
        self.xml_value(v, opts, &mut w, ctx, &mut drvs_seen)?;
        w.close("expr");
        Ok(w.out)
    }

    fn add_pos(&self, attrs: &mut XmlAttrs<'_>, span: Span) {
        if let Some(p) = self.pos_of(span) {
            attrs.insert("path", p.file);
            attrs.insert("line", p.line.to_string());
            attrs.insert("column", p.column.to_string());
        }
    }

    fn xml_value(
        &mut self,
        v: &Value,
        opts: XmlOptions,
        w: &mut Writer,
        ctx: &mut NixString,
        drvs_seen: &mut FxHashSet<String>,
    ) -> EvalResult<()> {
        let v = if opts.strict {
            self.force(v)?
        } else {
            v.resolved()
        };
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            match &v {
                Value::Int(i) => w.empty("int", &one("value", i.to_string())),
                Value::Bool(b) => w.empty("bool", &one("value", if *b { "true" } else { "false" })),
                Value::String(s) => {
                    ctx.add_context(&s.context);
                    w.empty("string", &one("value", s.text.clone()));
                }
                Value::Path(p) => w.empty("path", &one("value", p.as_str())),
                Value::Null => w.empty("null", &BTreeMap::new()),
                Value::Float(f) => w.empty("float", &one("value", format_float(*f))),
                Value::Attrs(a) => {
                    let ty = a.get(Symbol::intern("type")).cloned();
                    let is_drv = match ty {
                        Some(t) => match self.force(&t)? {
                            Value::String(s) => s.text == "derivation",
                            _ => false,
                        },
                        None => false,
                    };
                    if !is_drv {
                        w.open("attrs", &BTreeMap::new());
                        self.writing(Rc::as_ptr(a) as usize, None, |m| {
                            m.xml_attrs(a, opts, w, ctx, drvs_seen)
                        })?;
                        w.close("attrs");
                        return Ok(());
                    }
                    let mut attrs = BTreeMap::new();
                    let mut drv_path = None;
                    for (key, name) in [("drvPath", "drvPath"), ("outPath", "outPath")] {
                        if let Some(x) = a.get(Symbol::intern(name)).cloned() {
                            let x = if opts.strict { self.force(&x)? } else { x };
                            if let Some(s) = evaluated_string(&x) {
                                if key == "drvPath" {
                                    drv_path = Some(s.clone());
                                }
                                attrs.insert(key, s);
                            }
                        }
                    }
                    w.open("derivation", &attrs);
                    match drv_path {
                        Some(p) if !p.is_empty() && drvs_seen.insert(p.clone()) => {
                            self.xml_attrs(a, opts, w, ctx, drvs_seen)?;
                        }
                        _ => w.empty("repeated", &BTreeMap::new()),
                    }
                    w.close("derivation");
                }
                Value::List(l) => {
                    w.open("list", &BTreeMap::new());
                    self.writing(l.as_ptr() as usize, None, |m| {
                        for x in l.iter() {
                            m.xml_value(x, opts, w, ctx, drvs_seen)?;
                        }
                        Ok(())
                    })?;
                    w.close("list");
                }
                Value::Lambda(c) => {
                    let mut attrs = BTreeMap::new();
                    if opts.location {
                        self.add_pos(&mut attrs, c.def.span);
                    }
                    w.open("function", &attrs);
                    match &c.def.param {
                        Param::Formals {
                            formals, ellipsis, ..
                        } => {
                            let mut pat = BTreeMap::new();
                            if let Some(n) = c.def.arg_name {
                                pat.insert("name", n.as_str().to_owned());
                            }
                            if *ellipsis {
                                pat.insert("ellipsis", "1".to_owned());
                            }
                            w.open("attrspat", &pat);
                            let mut names: Vec<&str> =
                                formals.iter().map(|f| f.0.as_str()).collect();
                            names.sort_unstable();
                            for n in names {
                                w.empty("attr", &one("name", n));
                            }
                            w.close("attrspat");
                        }
                        Param::Ident => {
                            let n = c.def.arg_name.map_or("", |s| s.as_str());
                            w.empty("varpat", &one("name", n));
                        }
                    }
                    w.close("function");
                }
                Value::PrimOp(_) | Value::PrimOpApp(_) | Value::Thunk(_) => {
                    w.empty("unevaluated", &BTreeMap::new());
                }
            }
            Ok(())
        })
    }

    fn xml_attrs(
        &mut self,
        a: &crate::value::Attrs,
        opts: XmlOptions,
        w: &mut Writer,
        ctx: &mut NixString,
        drvs_seen: &mut FxHashSet<String>,
    ) -> EvalResult<()> {
        for (k, val) in a.sorted_by_name() {
            let mut attrs = one("name", k.as_str());
            if opts.location
                && let Some(span) = a.position(k)
            {
                self.add_pos(&mut attrs, span);
            }
            w.open("attr", &attrs);
            self.nested(None, |m| m.xml_value(val, opts, w, ctx, drvs_seen))?;
            w.close("attr");
        }
        Ok(())
    }
}
