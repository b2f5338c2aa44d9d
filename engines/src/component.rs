//! Components in the engine contract (DESIGN.md, "The component model"):
//! component values, the outcome of a component call, and how both are shown.
//!
//! Component instances have an id space of their own
//! ([`ComponentInstanceId`]), apart from core instances ([`crate::InstanceId`]):
//! an engine may keep components in other stores than core modules (the
//! reference VM keeps them in a `component::Runtime`, wasmtime in a store per
//! component), and a runner always knows which kind of thing a script named.

use crate::outcome::Trap;
use std::fmt;

/// A component value: the reference VM's value tree (bool, integers, floats
/// by bits, char, string, list, record, tuple, variant, enum, option, result,
/// flags, and handles as opaque ids), shared by every adapter.
pub use reference_vm::component::Value as ComponentValue;

/// A component instance created by [`crate::Engine::instantiate_component`],
/// valid for that engine only, and never a core [`crate::InstanceId`].
pub type ComponentInstanceId = usize;

/// What a component call did.
#[derive(Debug, Clone, PartialEq)]
pub enum ComponentOutcome {
    /// Returned these values (none or one for a component function).
    Returned(Vec<ComponentValue>),
    /// Trapped: in core code (its kind) or by a component-model rule
    /// ([`crate::TrapKind::Component`]), with the engine's message.
    Trapped(Trap),
    /// Ran out of a resource (call stack, fuel); the trap says which.
    Exhausted(Trap),
    /// The engine cannot do this (components, or a feature of them).
    Unsupported(String),
    /// The engine or adapter failed in a way that is no verdict on wasm.
    EngineError(String),
}

impl fmt::Display for ComponentOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComponentOutcome::Returned(v) => write!(f, "returned {}", fmt_component_values(v)),
            ComponentOutcome::Trapped(t) => write!(f, "{t}"),
            ComponentOutcome::Exhausted(t) => write!(f, "exhausted: {}", t.message),
            ComponentOutcome::Unsupported(w) => write!(f, "unsupported: {w}"),
            ComponentOutcome::EngineError(e) => write!(f, "engine error: {e}"),
        }
    }
}

/// Shows values in script notation, `[u32.const 1 (str "a")]`.
pub fn fmt_component_values(values: &[ComponentValue]) -> String {
    let parts: Vec<String> = values.iter().map(fmt_component_value).collect();
    format!("[{}]", parts.join(" "))
}

/// Shows one value in the reference tests' script notation, as an argument
/// is written: `(u32.const 7)`, `(str.const "x")`,
/// `(record.const (field "a" u32.const 1))`, `(list.const (u8.const 1))`;
/// floats by bits, handles (which scripts cannot write) as `(own 3)`,
/// `(borrow 3)`, `(handle 3)`.
pub fn fmt_component_value(v: &ComponentValue) -> String {
    format!("({})", bare(v))
}

/// A value without its outer parentheses (how a record field holds it).
fn bare(v: &ComponentValue) -> String {
    use ComponentValue as V;
    let payload = |p: &Option<Box<V>>| match p {
        Some(v) => format!(" {}", fmt_component_value(v)),
        None => String::new(),
    };
    let list = |vs: &[V]| {
        vs.iter()
            .map(|v| format!(" {}", fmt_component_value(v)))
            .collect::<String>()
    };
    match v {
        V::Bool(b) => format!("bool.const {b}"),
        V::S8(x) => format!("s8.const {x}"),
        V::U8(x) => format!("u8.const {x}"),
        V::S16(x) => format!("s16.const {x}"),
        V::U16(x) => format!("u16.const {x}"),
        V::S32(x) => format!("s32.const {x}"),
        V::U32(x) => format!("u32.const {x}"),
        V::S64(x) => format!("s64.const {x}"),
        V::U64(x) => format!("u64.const {x}"),
        V::F32(b) => format!("f32.const {}", crate::value::fmt_f32(*b)),
        V::F64(b) => format!("f64.const {}", crate::value::fmt_f64(*b)),
        V::Char(c) => format!("char.const {:?}", c.to_string()),
        V::String(s) => format!("str.const {s:?}"),
        V::List(vs) => format!("list.const{}", list(vs)),
        V::Record(fields) => {
            let fs: String = fields
                .iter()
                .map(|(l, v)| format!(" (field {l:?} {})", bare(v)))
                .collect();
            format!("record.const{fs}")
        }
        V::Tuple(vs) => format!("tuple.const{}", list(vs)),
        V::Variant(l, p) => format!("variant.const {l:?}{}", payload(p)),
        V::Enum(l) => format!("enum.const {l:?}"),
        V::Option(None) => "option.none".into(),
        V::Option(Some(v)) => format!("option.some {}", fmt_component_value(v)),
        V::Result(Ok(p)) => format!("result.ok{}", payload(p)),
        V::Result(Err(p)) => format!("result.err{}", payload(p)),
        V::Flags(ls) => {
            let ls: String = ls.iter().map(|l| format!(" {l:?}")).collect();
            format!("flags.const{ls}")
        }
        V::Own(h) => format!("own {h}"),
        V::Borrow(h) => format!("borrow {h}"),
        V::Handle(h) => format!("handle {h}"),
        V::Map(kvs) => {
            let es: String = kvs
                .iter()
                .map(|(k, v)| {
                    format!(
                        " (entry {} {})",
                        fmt_component_value(k),
                        fmt_component_value(v)
                    )
                })
                .collect();
            format!("map.const{es}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_show_in_script_notation() {
        use ComponentValue as V;
        let v = V::Record(vec![
            ("a".into(), V::U32(7)),
            (
                "b".into(),
                V::Variant("c".into(), Some(Box::new(V::String("x".into())))),
            ),
        ]);
        assert_eq!(
            fmt_component_value(&v),
            r#"(record.const (field "a" u32.const 7) (field "b" variant.const "c" (str.const "x")))"#
        );
        assert_eq!(
            ComponentOutcome::Returned(vec![V::Option(None), V::F32(0x7fc0_0000)]).to_string(),
            "returned [(option.none) (f32.const nan:0x400000)]"
        );
    }
}
