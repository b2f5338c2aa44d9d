//! What a fuzz run executed (`wasm-conform fuzz --coverage FILE`): the
//! counters of `reference_vm::exec::coverage` over every case, as JSON, and
//! the gaps — instructions of the run's feature set never executed to
//! completion, length classes never reached — as text and Markdown.

use super::caps::{FeatureSet, Proposal};
use reference_vm::exec::coverage::{BRANCH_OPS, LENGTH_CLASSES, LENGTH_OPS};
use reference_vm::syntax::{Feature, Opcode};
use serde_json::{Map, Value, json};

pub use reference_vm::exec::coverage::Coverage;

/// Instructions the translator folds into operand slots or control
/// structure (no internal instruction of their own), so they are never
/// counted: a gap in them is no gap. `local.set`/`local.tee` are counted
/// where they copy, `else` where the `then` arm jumps over it.
pub const FOLDED: &[Opcode] = &[
    Opcode::Nop,
    Opcode::Block,
    Opcode::Loop,
    Opcode::End,
    Opcode::Drop,
    Opcode::LocalGet,
    Opcode::LocalSet,
    Opcode::LocalTee,
    Opcode::I32Const,
    Opcode::I64Const,
    Opcode::F32Const,
    Opcode::F64Const,
    Opcode::V128Const,
    Opcode::RefNull,
    Opcode::Else,
];

/// The length classes each length-taking instruction is expected to reach
/// (`memory.grow` and `table.grow` only small deltas: memories and tables
/// are at most 2 pages and 32 elements).
fn expected_classes(op: Opcode) -> &'static [usize] {
    match op {
        Opcode::MemoryFill | Opcode::MemoryCopy | Opcode::MemoryInit => &[0, 1, 2, 3],
        Opcode::TableFill | Opcode::TableCopy | Opcode::TableInit => &[0, 1, 2],
        _ => &[0, 1],
    }
}

/// The proposal that must be on for wasm-smith to generate `op`'s
/// feature, or `None` when it cannot be generated at all.
fn proposal_of(f: Feature) -> Option<Option<Proposal>> {
    Some(match f {
        Feature::Mvp => None,
        Feature::SignExtension => Some(Proposal::SignExtension),
        Feature::SaturatingFloatToInt => Some(Proposal::SaturatingFloatToInt),
        Feature::BulkMemory => Some(Proposal::BulkMemory),
        Feature::RefTypes => Some(Proposal::ReferenceTypes),
        Feature::Simd => Some(Proposal::Simd),
        Feature::RelaxedSimd => Some(Proposal::RelaxedSimd),
        Feature::TailCall => Some(Proposal::TailCall),
        Feature::WideArithmetic => Some(Proposal::WideArithmetic),
        Feature::FunctionReferences | Feature::Gc => Some(Proposal::Gc),
        Feature::Exceptions => Some(Proposal::Exceptions),
        Feature::Threads => Some(Proposal::Threads),
        Feature::LegacyExceptions | Feature::CustomDescriptors => return None,
    })
}

/// The instructions a run with these proposals can generate (the opcode
/// table's instructions whose proposal is in the set).
pub fn generable(features: &FeatureSet) -> Vec<Opcode> {
    Opcode::ALL
        .iter()
        .copied()
        .filter(|op| match proposal_of(op.feature()) {
            Some(None) => true,
            Some(Some(p)) => features.has(p),
            None => false,
        })
        .collect()
}

/// The counters as the JSON of `--coverage FILE`.
pub fn to_json(c: &Coverage) -> Value {
    let mut instructions = Map::new();
    for i in c.instructions() {
        let trapped: Map<String, Value> = i
            .trapped
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        instructions.insert(
            i.name.to_string(),
            json!({"executed": i.executed, "completed": i.completed, "trapped": trapped}),
        );
    }
    let mut lengths = Map::new();
    for &op in LENGTH_OPS {
        let l = c.lengths(op);
        let classes: Map<String, Value> = LENGTH_CLASSES
            .iter()
            .zip(l)
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        lengths.insert(op.name().to_string(), Value::Object(classes));
    }
    let near_end: Map<String, Value> = c
        .near_end_ops()
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let mut branches = Map::new();
    for &op in BRANCH_OPS {
        let (t, n) = c.branches(op);
        if t + n > 0 {
            branches.insert(op.name().to_string(), json!({"taken": t, "not_taken": n}));
        }
    }
    json!({
        "instructions": instructions,
        "lengths": lengths,
        "near_end": near_end,
        "branches": branches,
    })
}

/// What a run did not reach.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Gaps {
    /// Instructions the run could generate: how many, and how many completed.
    pub generable: usize,
    /// Of those (folded ones and `unreachable` left out), how many completed.
    pub completed: usize,
    /// Generable instructions never executed to completion, by name.
    pub never_completed: Vec<&'static str>,
    /// Length classes expected and never reached: (instruction, class).
    pub lengths: Vec<(&'static str, &'static str)>,
    /// Branch instructions executed but never taken or never not taken.
    pub branches: Vec<(&'static str, &'static str)>,
}

/// The gaps of a run with these proposals.
pub fn gaps(c: &Coverage, features: &FeatureSet) -> Gaps {
    let ops: Vec<Opcode> = generable(features)
        .into_iter()
        .filter(|op| !FOLDED.contains(op) && *op != Opcode::Unreachable)
        .collect();
    let mut g = Gaps {
        generable: ops.len(),
        ..Gaps::default()
    };
    for &op in &ops {
        if c.completed(op) > 0 {
            g.completed += 1;
        } else {
            g.never_completed.push(op.name());
        }
    }
    for &op in LENGTH_OPS.iter().filter(|op| ops.contains(op)) {
        let l = c.lengths(op);
        for &k in expected_classes(op) {
            if l[k] == 0 {
                g.lengths.push((op.name(), LENGTH_CLASSES[k]));
            }
        }
    }
    for &op in BRANCH_OPS.iter().filter(|op| ops.contains(op)) {
        let (t, n) = c.branches(op);
        if t == 0 {
            g.branches.push((op.name(), "taken"));
        }
        if n == 0 {
            g.branches.push((op.name(), "not taken"));
        }
    }
    g
}

impl Gaps {
    /// The lines of the fuzz run's summary.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "coverage: {}/{} instructions completed (folded ones and unreachable left out)",
            self.completed, self.generable
        );
        if !self.never_completed.is_empty() {
            s.push_str(&format!(
                "\nnever completed: {}",
                self.never_completed.join(", ")
            ));
        }
        if !self.lengths.is_empty() {
            let l: Vec<String> = self
                .lengths
                .iter()
                .map(|(o, k)| format!("{o} {k}"))
                .collect();
            s.push_str(&format!("\nlength classes never reached: {}", l.join(", ")));
        }
        if !self.branches.is_empty() {
            let b: Vec<String> = self
                .branches
                .iter()
                .map(|(o, k)| format!("{o} {k}"))
                .collect();
            s.push_str(&format!("\nbranches never: {}", b.join(", ")));
        }
        s
    }

    /// A Markdown table of the gaps (docs/fuzzing.md, scripts/update-docs.sh).
    pub fn markdown(&self) -> String {
        let none = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let names: Vec<String> = self
            .never_completed
            .iter()
            .map(|n| format!("`{n}`"))
            .collect();
        let lengths: Vec<String> = self
            .lengths
            .iter()
            .map(|(o, k)| format!("`{o}` {k}"))
            .collect();
        let branches: Vec<String> = self
            .branches
            .iter()
            .map(|(o, k)| format!("`{o}` {k}"))
            .collect();
        format!(
            "| | |\n|---|---|\n| instructions completed | {} of {} |\n| never completed | {} |\n| length classes never reached | {} |\n| branches never | {} |\n",
            self.completed,
            self.generable,
            none(&names),
            none(&lengths),
            none(&branches)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_run_has_every_instruction_as_a_gap() {
        let f = FeatureSet::common(&["reference-vm", "wasmi"]);
        let g = gaps(&Coverage::default(), &f);
        assert_eq!(g.completed, 0);
        assert_eq!(g.never_completed.len(), g.generable);
        assert!(g.never_completed.contains(&"i32.add"));
        assert!(!g.never_completed.contains(&"local.get"));
        assert!(g.lengths.contains(&("memory.fill", "257-65536")));
        let j = to_json(&Coverage::default());
        assert_eq!(j["lengths"]["memory.fill"]["17-256"], 0);
    }
}
