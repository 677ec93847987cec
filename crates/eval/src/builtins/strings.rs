//! String builtins.

use std::rc::Rc;

use super::{Builtin, b, g};
use crate::error::{EvalError, EvalResult};
use crate::eval::Machine;
use crate::lower::canon_path;
use crate::span::Span;
use crate::value::{NixString, Value};

pub(super) const BUILTINS: &[Builtin] = &[
    g("toString", 1, |m, a, s| {
        Ok(Value::String(Rc::new(
            m.coerce_to_string(&a[0], true, false, s)?,
        )))
    }),
    b("stringLength", 1, |m, a, s| {
        Ok(Value::Int(
            m.coerce_to_string(&a[0], false, true, s)?.text.len() as i64,
        ))
    }),
    b("substring", 3, substring),
    b("concatStringsSep", 2, concat_strings_sep),
    b("replaceStrings", 3, replace_strings),
    g("baseNameOf", 1, base_name_of),
    g("dirOf", 1, dir_of),
];

fn str_value(s: NixString) -> Value {
    Value::String(Rc::new(s))
}

fn substring(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let start = m.force_int(&a[0], s)?;
    let len = m.force_int(&a[1], s)?;
    let st = m.coerce_to_string(&a[2], false, true, s)?;
    if start < 0 {
        return Err(EvalError::other(
            "negative start position in 'substring'",
            s,
        ));
    }
    let bytes = st.text.as_bytes();
    let from = (start as usize).min(bytes.len());
    let to = if len < 0 {
        bytes.len()
    } else {
        from.saturating_add(len as usize).min(bytes.len())
    };
    let text = String::from_utf8_lossy(&bytes[from..to]).into_owned();
    Ok(str_value(NixString {
        text,
        context: st.context.clone(),
    }))
}

fn concat_strings_sep(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let sep = m.coerce_to_string(&a[0], false, true, s)?;
    let l = m.force_list(&a[1], s)?;
    let mut out = NixString::default();
    out.add_context(&sep.context);
    for (i, x) in l.iter().enumerate() {
        if i > 0 {
            out.text.push_str(&sep.text);
        }
        let part = m.coerce_to_string(x, false, true, s)?;
        out.text.push_str(&part.text);
        out.add_context(&part.context);
    }
    Ok(str_value(out))
}

fn replace_strings(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let from = m.force_list(&a[0], s)?;
    let to = m.force_list(&a[1], s)?;
    if from.len() != to.len() {
        return Err(EvalError::other(
            "'from' and 'to' arguments to 'replaceStrings' have different lengths",
            s,
        ));
    }
    let mut pats = Vec::new();
    for x in from.iter() {
        pats.push(m.force_string(x, s)?);
    }
    let mut reps = Vec::new();
    for x in to.iter() {
        reps.push(m.force_string(x, s)?);
    }
    let subject = m.force_string(&a[2], s)?;
    let src = subject.text.as_bytes();
    let mut res: Vec<u8> = Vec::with_capacity(src.len());
    let mut out = NixString {
        text: String::new(),
        context: subject.context.clone(),
    };
    let mut p = 0;
    while p <= src.len() {
        let mut found = false;
        for (pat, rep) in pats.iter().zip(reps.iter()) {
            let pb = pat.text.as_bytes();
            if src[p..].starts_with(pb) {
                found = true;
                res.extend_from_slice(rep.text.as_bytes());
                out.add_context(&rep.context);
                if pb.is_empty() {
                    if p < src.len() {
                        res.push(src[p]);
                    }
                    p += 1;
                } else {
                    p += pb.len();
                }
                break;
            }
        }
        if !found {
            if p < src.len() {
                res.push(src[p]);
            }
            p += 1;
        }
    }
    out.text = String::from_utf8_lossy(&res).into_owned();
    Ok(str_value(out))
}

fn base_name_of(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let st = m.coerce_to_string(&a[0], false, false, s)?;
    let path = st.text.as_str();
    let name = if path.is_empty() {
        ""
    } else {
        let mut last = path.len() - 1;
        if path.as_bytes()[last] == b'/' && last > 0 {
            last -= 1;
        }
        let pos = path[..=last].rfind('/').map_or(0, |p| p + 1);
        &path[pos..=last]
    };
    Ok(str_value(NixString {
        text: name.to_owned(),
        context: st.context.clone(),
    }))
}

fn dir_of(m: &mut Machine, a: &[Value], s: Span) -> EvalResult<Value> {
    let v = m.force(&a[0])?;
    let st = m.coerce_to_string(&v, false, false, s)?;
    let dir = match st.text.rfind('/') {
        None => ".".to_owned(),
        Some(0) => "/".to_owned(),
        Some(p) => st.text[..p].to_owned(),
    };
    if let Value::Path(_) = v {
        return Ok(Value::Path(canon_path(&dir).into()));
    }
    Ok(str_value(NixString {
        text: dir,
        context: st.context.clone(),
    }))
}
