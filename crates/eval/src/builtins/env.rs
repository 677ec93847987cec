//! The environment and string contexts: `getEnv`, `currentSystem`,
//! `storeDir`, `addErrorContext`, `unsafeDiscardStringContext`, `hasContext`.

use std::rc::Rc;

use super::{Builtin, b};
use crate::value::{NixString, Value};

pub(super) const BUILTINS: &[Builtin] = &[
    b("getEnv", 1, |m, a, s| {
        let name = m.force_string(&a[0], s)?;
        if m.opts.pure {
            return Ok(Value::string(""));
        }
        Ok(Value::string(std::env::var(&name.text).unwrap_or_default()))
    }),
    b("addErrorContext", 2, |m, a, _| m.force(&a[1])),
    b("unsafeDiscardStringContext", 1, |m, a, s| {
        let st = m.force_string(&a[0], s)?;
        Ok(Value::String(Rc::new(NixString::plain(st.text.clone()))))
    }),
    b("hasContext", 1, |m, a, s| {
        let st = m.force_string(&a[0], s)?;
        Ok(Value::Bool(
            st.context.as_ref().is_some_and(|c| !c.is_empty()),
        ))
    }),
    b("unsafeGetAttrPos", 2, |m, a, s| {
        let name = m.force_string(&a[0], s)?;
        let set = m.force_attrs(&a[1], s)?;
        Ok(
            match set.position(crate::symbol::Symbol::intern(&name.text)) {
                Some(at) => m.pos_value(at),
                None => Value::Null,
            },
        )
    }),
];

/// The `currentSystem` constant (`x86_64-linux`, `aarch64-darwin`, …).
pub fn current_system() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        os => os,
    };
    format!("{}-{os}", std::env::consts::ARCH)
}
