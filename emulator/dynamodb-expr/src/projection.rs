//! ProjectionExpression: the attributes (and nested map keys / list
//! elements) to return. Selected list elements come back compacted in index
//! order, as DynamoDB returns them.

use crate::ExprError;
use crate::params::Params;
use crate::path::{DocPath, PathElem, Resolver};
use crate::syntax;
use crate::value::{AttributeValue, Item};
use std::collections::BTreeMap;

const KIND: &str = "ProjectionExpression";

/// What to keep of one value: all of it, or some of its children.
#[derive(Debug, Clone, PartialEq, Default)]
struct Node {
    whole: bool,
    keys: BTreeMap<String, Node>,
    indexes: BTreeMap<usize, Node>,
}

impl Node {
    fn insert(&mut self, elems: &[PathElem]) {
        match elems.split_first() {
            None => self.whole = true,
            Some((PathElem::Attr(a), rest)) => self.keys.entry(a.clone()).or_default().insert(rest),
            Some((PathElem::Index(i), rest)) => self.indexes.entry(*i).or_default().insert(rest),
        }
    }

    fn select(&self, v: &AttributeValue) -> Option<AttributeValue> {
        if self.whole {
            return Some(v.clone());
        }
        match v {
            AttributeValue::M(m) if !self.keys.is_empty() => {
                let out: BTreeMap<String, AttributeValue> = self
                    .keys
                    .iter()
                    .filter_map(|(k, n)| Some((k.clone(), n.select(m.get(k)?)?)))
                    .collect();
                (!out.is_empty()).then_some(AttributeValue::M(out))
            }
            AttributeValue::L(l) if !self.indexes.is_empty() => {
                let out: Vec<AttributeValue> = self
                    .indexes
                    .iter()
                    .filter_map(|(i, n)| n.select(l.get(*i)?))
                    .collect();
                (!out.is_empty()).then_some(AttributeValue::L(out))
            }
            _ => None,
        }
    }
}

/// A parsed ProjectionExpression.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    paths: Vec<DocPath>,
    tree: BTreeMap<String, Node>,
}

/// Parses a ProjectionExpression, resolving its `#names`.
pub fn parse_projection(expr: &str, params: &mut Params) -> Result<Projection, ExprError> {
    let raw = syntax::parse_projection(expr)?;
    let mut r = Resolver::new(KIND, params);
    let paths: Vec<DocPath> = raw.iter().map(|p| r.path(p)).collect();
    let refs: Vec<&DocPath> = paths.iter().collect();
    r.check_overlaps(&refs);
    r.finish()?;
    let mut tree: BTreeMap<String, Node> = BTreeMap::new();
    for p in &paths {
        if let Some((PathElem::Attr(head), rest)) = p.0.split_first() {
            tree.entry(head.clone()).or_default().insert(rest);
        }
    }
    Ok(Projection { paths, tree })
}

impl Projection {
    /// The item with only the projected parts.
    pub fn apply(&self, item: &Item) -> Item {
        self.tree
            .iter()
            .filter_map(|(k, n)| Some((k.clone(), n.select(item.get(k)?)?)))
            .collect()
    }

    /// The top-level attribute names the projection reads.
    pub fn attributes(&self) -> Vec<String> {
        self.tree.keys().cloned().collect()
    }

    /// The projected document paths as written (after `#name` substitution).
    pub fn paths(&self) -> &[DocPath] {
        &self.paths
    }
}
