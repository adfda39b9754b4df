//! Resolved document paths (`a.b[2].c` with `#names` substituted) and the
//! resolver that turns raw syntax into them, collecting semantic errors in
//! the order AWS reports them.

use crate::ExprError;
use crate::ops::normalize_unchecked;
use crate::params::Params;
use crate::reserved::is_reserved;
use crate::syntax::{RawElem, RawPath};
use crate::value::{AttributeValue, Item};
use std::fmt;

/// The most elements a document path may have (DynamoDB's nesting limit).
const MAX_PATH_DEPTH: usize = 32;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElem {
    /// A map key (or, first, a top-level attribute name).
    Attr(String),
    /// A list index.
    Index(usize),
}

/// A document path whose first element is always an attribute name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocPath(pub Vec<PathElem>);

impl DocPath {
    /// The top-level attribute this path starts at.
    pub fn head(&self) -> &str {
        match self.0.first() {
            Some(PathElem::Attr(a)) => a,
            _ => "",
        }
    }

    /// The value at this path in the item, if every step exists.
    pub fn get<'a>(&self, item: &'a Item) -> Option<&'a AttributeValue> {
        let mut elems = self.0.iter();
        let mut cur = match elems.next()? {
            PathElem::Attr(a) => item.get(a)?,
            PathElem::Index(_) => return None,
        };
        for e in elems {
            cur = step(cur, e)?;
        }
        Some(cur)
    }
}

/// One step into a map or list.
pub(crate) fn step<'a>(v: &'a AttributeValue, e: &PathElem) -> Option<&'a AttributeValue> {
    match (v, e) {
        (AttributeValue::M(m), PathElem::Attr(a)) => m.get(a),
        (AttributeValue::L(l), PathElem::Index(i)) => l.get(*i),
        _ => None,
    }
}

impl fmt::Display for DocPath {
    /// AWS's form in messages: `[a, b, [2]]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match e {
                PathElem::Attr(a) => f.write_str(a)?,
                PathElem::Index(n) => write!(f, "[{n}]")?,
            }
        }
        f.write_str("]")
    }
}

/// Error classes, in the order AWS reports them when several apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    Parens,
    UnknownFunction,
    Misuse,
    Reserved,
    Section,
    Reference,
    Overlap,
    Conflict,
    Check,
}

/// Resolves placeholders of one expression and collects its semantic errors.
pub(crate) struct Resolver<'p, 'a> {
    pub params: &'p mut Params<'a>,
    pub kind: String,
    errors: Vec<(Severity, String)>,
    /// Whether `((...))` is an error (it is in conditions and filters, not
    /// in key conditions).
    pub reject_redundant_parens: bool,
}

impl<'p, 'a> Resolver<'p, 'a> {
    pub(crate) fn new(kind: &str, params: &'p mut Params<'a>) -> Self {
        Self {
            params,
            kind: kind.to_string(),
            errors: Vec::new(),
            reject_redundant_parens: true,
        }
    }

    pub(crate) fn report(&mut self, severity: Severity, message: impl Into<String>) {
        self.errors.push((severity, message.into()));
    }

    /// The first error of the most important class, prefixed with the expression kind.
    pub(crate) fn finish(&self) -> Result<(), ExprError> {
        let first = self.errors.iter().enumerate().min_by_key(|(i, (s, _))| (*s, *i));
        match first {
            Some((_, (_, m))) => Err(ExprError::invalid(&self.kind, m)),
            None => Ok(()),
        }
    }

    pub(crate) fn path(&mut self, raw: &RawPath) -> DocPath {
        let mut out = Vec::with_capacity(raw.0.len());
        for e in &raw.0 {
            out.push(match e {
                RawElem::Ident(name) => {
                    if is_reserved(name) {
                        self.report(
                            Severity::Reserved,
                            format!("Attribute name is a reserved keyword; reserved keyword: {name}"),
                        );
                    }
                    PathElem::Attr(name.clone())
                }
                RawElem::Name(placeholder) => match self.params.name(placeholder) {
                    Some(n) => PathElem::Attr(n),
                    None => {
                        self.report(
                            Severity::Reference,
                            format!(
                                "An expression attribute name used in the document path is not defined; attribute name: {placeholder}"
                            ),
                        );
                        PathElem::Attr(placeholder.clone())
                    }
                },
                RawElem::Index(i) => PathElem::Index(*i as usize),
            });
        }
        if out.len() > MAX_PATH_DEPTH {
            self.report(
                Severity::Check,
                format!(
                    "The document path has too many nesting levels; nesting levels: {}",
                    out.len()
                ),
            );
        }
        DocPath(out)
    }

    /// The value of `:placeholder`, numbers in canonical text.
    pub(crate) fn value(&mut self, placeholder: &str) -> AttributeValue {
        match self.params.value(placeholder) {
            Some(v) => normalize_unchecked(&v),
            None => {
                self.report(
                    Severity::Reference,
                    format!(
                        "An expression attribute value used in expression is not defined; attribute value: {placeholder}"
                    ),
                );
                AttributeValue::Null(true)
            }
        }
    }

    /// Reports AWS's overlap / conflict errors among paths that are written together.
    pub(crate) fn check_overlaps(&mut self, paths: &[&DocPath]) {
        for (j, b) in paths.iter().enumerate() {
            for a in paths.iter().take(j) {
                match relation(a, b) {
                    Relation::Disjoint => {}
                    Relation::Overlap => {
                        self.report(Severity::Overlap, format!(
                            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
                        ));
                        return;
                    }
                    Relation::Conflict => {
                        self.report(Severity::Conflict, format!(
                            "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
                        ));
                        return;
                    }
                }
            }
        }
    }
}

enum Relation {
    Disjoint,
    Overlap,
    Conflict,
}

fn relation(a: &DocPath, b: &DocPath) -> Relation {
    for (x, y) in a.0.iter().zip(&b.0) {
        match (x, y) {
            (PathElem::Attr(p), PathElem::Attr(q)) if p != q => return Relation::Disjoint,
            (PathElem::Index(p), PathElem::Index(q)) if p != q => return Relation::Disjoint,
            (PathElem::Attr(_), PathElem::Index(_)) | (PathElem::Index(_), PathElem::Attr(_)) => {
                return Relation::Conflict;
            }
            _ => {}
        }
    }
    Relation::Overlap
}
