//! Ordering paths so that each comes after its references.

use std::collections::{BTreeSet, HashMap, HashSet};

use cairn_store::path::StorePath;

/// The keys of `nodes` ordered so that each comes after those of its
/// `references` that are keys too (self-references are ignored). Ties
/// are broken by path, so the order is deterministic.
pub(crate) fn references_first<T>(
    nodes: &HashMap<StorePath, T>,
    references: impl Fn(&T) -> &BTreeSet<StorePath>,
) -> Vec<StorePath> {
    let mut order = Vec::with_capacity(nodes.len());
    let mut placed: HashSet<&StorePath> = HashSet::new();
    let mut roots: Vec<&StorePath> = nodes.keys().collect();
    roots.sort();
    for root in roots {
        // Iterative depth-first post-order: closures can be deep.
        let mut stack: Vec<(&StorePath, bool)> = vec![(root, false)];
        while let Some((path, expanded)) = stack.pop() {
            if placed.contains(path) {
                continue;
            }
            if expanded {
                placed.insert(path);
                order.push(path.clone());
                continue;
            }
            stack.push((path, true));
            if let Some(node) = nodes.get(path) {
                for reference in references(node).iter().rev() {
                    if reference != path
                        && nodes.contains_key(reference)
                        && !placed.contains(reference)
                    {
                        stack.push((reference, false));
                    }
                }
            }
        }
    }
    order
}

/// True when every reference of `path` (other than itself) that is a key
/// of `nodes` is `done`.
pub(crate) fn references_done<T>(
    path: &StorePath,
    refs: &BTreeSet<StorePath>,
    nodes: &HashMap<StorePath, T>,
    done: impl Fn(&StorePath) -> bool,
) -> bool {
    refs.iter()
        .all(|r| r == path || done(r) || !nodes.contains_key(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> StorePath {
        StorePath::from_base_name(&format!("0c7rz0rrcgy6zv3lrp9xq43d6dhz5x9w-{name}")).unwrap()
    }

    #[test]
    fn chain_and_diamond() {
        let mut nodes: HashMap<StorePath, BTreeSet<StorePath>> = HashMap::new();
        nodes.insert(p("a"), [p("b"), p("c"), p("a")].into_iter().collect());
        nodes.insert(p("b"), [p("d")].into_iter().collect());
        nodes.insert(p("c"), [p("d"), p("outside")].into_iter().collect());
        nodes.insert(p("d"), BTreeSet::new());
        let order = references_first(&nodes, |r| r);
        assert_eq!(order.len(), 4);
        let at = |x: &str| order.iter().position(|q| *q == p(x)).unwrap();
        assert!(at("d") < at("b") && at("d") < at("c"));
        assert!(at("b") < at("a") && at("c") < at("a"));
    }

    #[test]
    fn deep_chain_does_not_overflow() {
        let mut nodes: HashMap<StorePath, BTreeSet<StorePath>> = HashMap::new();
        for i in 0..100_000 {
            let refs = if i > 0 {
                [p(&format!("n{}", i - 1))].into_iter().collect()
            } else {
                BTreeSet::new()
            };
            nodes.insert(p(&format!("n{i}")), refs);
        }
        let order = references_first(&nodes, |r| r);
        assert_eq!(order[0], p("n0"));
        assert_eq!(order[99_999], p("n99999"));
    }
}
