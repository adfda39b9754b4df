//! The expression language's syntax: a small lexer and a hand-written
//! recursive-descent parser producing raw trees in which `#names`, `:values`
//! and function names are still unresolved text. The `condition`, `key`,
//! `update` and `projection` modules resolve and check those trees.
//!
//! Precedence in conditions follows AWS: comparisons bind tightest, then
//! `BETWEEN` / `IN`, then `NOT`, then `AND`, then `OR`.

use crate::ExprError;
use std::fmt;

/// The longest expression AWS accepts, in bytes.
pub(crate) const MAX_EXPRESSION_BYTES: usize = 4096;
/// The deepest nesting of parentheses, `NOT`s and function calls the parser
/// follows; deeper input is a syntax error rather than a stack overflow.
const MAX_DEPTH: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A bare identifier or keyword.
    Ident,
    /// `#placeholder`.
    Name,
    /// `:placeholder`.
    Value,
    /// A run of decimal digits (list indexes).
    Int,
    /// Punctuation or an operator.
    Sym,
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// One element of a raw document path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawElem {
    /// A bare attribute name as written.
    Ident(String),
    /// A `#placeholder`.
    Name(String),
    /// A list index.
    Index(u32),
}

/// A raw document path: `a.#b[2].c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawPath(pub Vec<RawElem>);

/// A raw operand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawOperand {
    Path(RawPath),
    /// A `:placeholder`.
    Value(String),
    Func(String, Vec<RawOperand>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    fn from_symbol(s: &str) -> Option<Self> {
        Some(match s {
            "=" => CmpOp::Eq,
            "<>" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => return None,
        })
    }
}

/// A raw condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawCond {
    Cmp(CmpOp, RawOperand, RawOperand),
    Between(RawOperand, RawOperand, RawOperand),
    In(RawOperand, Vec<RawOperand>),
    And(Box<RawCond>, Box<RawCond>),
    Or(Box<RawCond>, Box<RawCond>),
    Not(Box<RawCond>),
    Func(String, Vec<RawOperand>),
    /// A parenthesised condition (kept to detect AWS's "redundant parentheses").
    Paren(Box<RawCond>),
}

/// The right-hand side of a `SET` action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawSetValue {
    Operand(RawOperand),
    Plus(RawOperand, RawOperand),
    Minus(RawOperand, RawOperand),
}

/// The clause an update action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clause {
    Set,
    Remove,
    Add,
    Delete,
}

impl Clause {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Clause::Set => "SET",
            Clause::Remove => "REMOVE",
            Clause::Add => "ADD",
            Clause::Delete => "DELETE",
        }
    }
}

/// One raw update action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawAction {
    Set(RawPath, RawSetValue),
    Remove(RawPath),
    Add(RawPath, String),
    Delete(RawPath, String),
}

/// A raw update expression: its actions in order, and the clauses as they appeared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawUpdate {
    pub actions: Vec<RawAction>,
    pub clauses: Vec<Clause>,
}

const CONDITION_KEYWORDS: &[&str] = &["AND", "OR", "NOT", "BETWEEN", "IN"];
const UPDATE_KEYWORDS: &[&str] = &["SET", "REMOVE", "ADD", "DELETE"];

/// The checks every expression gets before parsing: not empty, not too long.
pub(crate) fn precheck(kind: &str, src: &str) -> Result<(), ExprError> {
    if src.trim().is_empty() {
        return Err(ExprError::invalid(kind, "The expression can not be empty;"));
    }
    if src.len() > MAX_EXPRESSION_BYTES {
        return Err(ExprError::invalid(
            kind,
            format!(
                "Expression size has exceeded the maximum allowed size; expression size: {}",
                src.len()
            ),
        ));
    }
    Ok(())
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn lex(src: &str) -> Vec<Token> {
    let mut toks: Vec<Token> = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
            chars.next();
            continue;
        }
        let take_while = |chars: &mut std::iter::Peekable<std::str::CharIndices>, f: fn(char) -> bool| {
            let mut end = src.len();
            while let Some(&(j, d)) = chars.peek() {
                if !f(d) {
                    end = j;
                    break;
                }
                chars.next();
            }
            end
        };
        let tok = if c.is_ascii_alphabetic() || c == '_' {
            chars.next();
            let end = take_while(&mut chars, is_ident_char);
            Token {
                kind: Kind::Ident,
                start: i,
                end,
            }
        } else if c.is_ascii_digit() {
            chars.next();
            let end = take_while(&mut chars, |d| d.is_ascii_digit());
            Token {
                kind: Kind::Int,
                start: i,
                end,
            }
        } else if c == '#' || c == ':' {
            chars.next();
            let end = take_while(&mut chars, is_ident_char);
            // A lone `#` or `:` is a token of its own, which the parser rejects.
            let kind = match (end == i + 1, c) {
                (true, _) => Kind::Sym,
                (false, '#') => Kind::Name,
                (false, _) => Kind::Value,
            };
            Token { kind, start: i, end }
        } else {
            chars.next();
            let two = src.get(i..i + 2);
            // Characters outside the grammar become one-character tokens
            // that no rule accepts, so the parser reports them in context.
            let len = match two {
                Some("<>") | Some("<=") | Some(">=") => {
                    chars.next();
                    2
                }
                _ => c.len_utf8(),
            };
            Token {
                kind: Kind::Sym,
                start: i,
                end: i + len,
            }
        };
        toks.push(tok);
    }
    toks.push(Token {
        kind: Kind::Eof,
        start: src.len(),
        end: src.len(),
    });
    toks
}

/// The parser over one expression's tokens.
pub(crate) struct Parser<'s> {
    src: &'s str,
    kind: String,
    toks: Vec<Token>,
    pos: usize,
    keywords: &'static [&'static str],
    depth: usize,
}

impl<'s> Parser<'s> {
    fn new(kind: &str, src: &'s str, keywords: &'static [&'static str]) -> Result<Self, ExprError> {
        precheck(kind, src)?;
        let toks = lex(src);
        Ok(Self {
            src,
            kind: kind.to_string(),
            toks,
            pos: 0,
            keywords,
            depth: 0,
        })
    }

    /// The token at `i`, or the last one (the lexer always ends the list
    /// with `Eof`) past the end.
    fn token(&self, i: usize) -> Token {
        self.toks.get(i).or(self.toks.last()).copied().unwrap_or(Token {
            kind: Kind::Eof,
            start: self.src.len(),
            end: self.src.len(),
        })
    }

    fn peek(&self) -> Token {
        self.token(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Token {
        self.token(self.pos.saturating_add(ahead))
    }

    fn text(&self, t: Token) -> &'s str {
        &self.src[t.start..t.end]
    }

    fn advance(&mut self) -> Token {
        let t = self.peek();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_sym(&self, s: &str) -> bool {
        let t = self.peek();
        t.kind == Kind::Sym && self.text(t) == s
    }

    fn is_kw(&self, kw: &str) -> bool {
        let t = self.peek();
        t.kind == Kind::Ident && self.text(t).eq_ignore_ascii_case(kw)
    }

    fn is_keyword_token(&self, t: Token) -> bool {
        t.kind == Kind::Ident && self.keywords.iter().any(|k| self.text(t).eq_ignore_ascii_case(k))
    }

    /// AWS's syntax error at the current token: `token` is the token, `near`
    /// runs from the previous token to the next one.
    fn error(&self) -> ExprError {
        let i = self.pos.min(self.toks.len().saturating_sub(1));
        let t = self.token(i);
        let token = if t.kind == Kind::Eof {
            "<EOF>".to_string()
        } else {
            self.text(t).to_string()
        };
        let start = match i.checked_sub(1) {
            Some(previous) => self.token(previous).start,
            None => t.start,
        };
        let end = if t.kind == Kind::Eof {
            self.src.len()
        } else {
            match self.toks.get(i + 1) {
                Some(n) if n.kind != Kind::Eof => n.end,
                _ => t.end,
            }
        };
        ExprError::invalid(
            &self.kind,
            format!(
                "Syntax error; token: \"{token}\", near: \"{}\"",
                &self.src[start..end]
            ),
        )
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), ExprError> {
        if self.is_sym(s) {
            self.advance();
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn expect_eof(&self) -> Result<(), ExprError> {
        if self.peek().kind == Kind::Eof {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn path_name(&mut self) -> Result<RawElem, ExprError> {
        let t = self.peek();
        match t.kind {
            Kind::Ident if !self.is_keyword_token(t) => {
                self.advance();
                Ok(RawElem::Ident(self.text(t).to_string()))
            }
            Kind::Name => {
                self.advance();
                Ok(RawElem::Name(self.text(t).to_string()))
            }
            _ => Err(self.error()),
        }
    }

    fn path(&mut self) -> Result<RawPath, ExprError> {
        let mut elems = vec![self.path_name()?];
        loop {
            if self.is_sym(".") {
                self.advance();
                elems.push(self.path_name()?);
            } else if self.is_sym("[") {
                self.advance();
                let t = self.peek();
                if t.kind != Kind::Int {
                    return Err(self.error());
                }
                let index: u32 = self.text(t).parse().map_err(|_| self.error())?;
                self.advance();
                self.expect_sym("]")?;
                elems.push(RawElem::Index(index));
            } else {
                return Ok(RawPath(elems));
            }
        }
    }

    fn operand(&mut self) -> Result<RawOperand, ExprError> {
        self.nested(Self::operand_inner)
    }

    /// Runs `f` one nesting level deeper, failing past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: fn(&mut Self) -> Result<T, ExprError>) -> Result<T, ExprError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error());
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn operand_inner(&mut self) -> Result<RawOperand, ExprError> {
        let t = self.peek();
        match t.kind {
            Kind::Value => {
                self.advance();
                Ok(RawOperand::Value(self.text(t).to_string()))
            }
            Kind::Ident
                if !self.is_keyword_token(t)
                    && self.peek_at(1).kind == Kind::Sym
                    && self.text(self.peek_at(1)) == "(" =>
            {
                self.advance();
                self.advance();
                let mut args = vec![self.operand()?];
                while self.is_sym(",") {
                    self.advance();
                    args.push(self.operand()?);
                }
                self.expect_sym(")")?;
                Ok(RawOperand::Func(self.text(t).to_string(), args))
            }
            Kind::Ident | Kind::Name => Ok(RawOperand::Path(self.path()?)),
            Kind::Sym if self.text(t) == "(" => {
                self.advance();
                let op = self.operand()?;
                self.expect_sym(")")?;
                Ok(op)
            }
            _ => Err(self.error()),
        }
    }

    fn or(&mut self) -> Result<RawCond, ExprError> {
        let mut left = self.and()?;
        while self.is_kw("OR") {
            self.advance();
            let right = self.and()?;
            left = RawCond::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<RawCond, ExprError> {
        let mut left = self.not()?;
        while self.is_kw("AND") {
            self.advance();
            let right = self.not()?;
            left = RawCond::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<RawCond, ExprError> {
        if self.is_kw("NOT") {
            self.advance();
            return Ok(RawCond::Not(Box::new(self.nested(Self::not)?)));
        }
        self.nested(Self::primary)
    }

    fn at_operator(&self) -> bool {
        let t = self.peek();
        (t.kind == Kind::Sym && CmpOp::from_symbol(self.text(t)).is_some())
            || self.is_kw("BETWEEN")
            || self.is_kw("IN")
    }

    /// At `(`: a parenthesised operand followed by an operator, if that is
    /// what comes; otherwise the position is left unchanged.
    fn try_paren_operand(&mut self) -> Option<RawOperand> {
        let saved = self.pos;
        let attempt = (|| {
            self.advance();
            let op = self.operand().ok()?;
            self.expect_sym(")").ok()?;
            self.at_operator().then_some(op)
        })();
        if attempt.is_none() {
            self.pos = saved;
        }
        attempt
    }

    fn primary(&mut self) -> Result<RawCond, ExprError> {
        if self.is_sym("(") {
            if let Some(op) = self.try_paren_operand() {
                return self.operand_tail(op);
            }
            self.advance();
            let inner = self.or()?;
            self.expect_sym(")")?;
            return Ok(RawCond::Paren(Box::new(inner)));
        }
        let op = self.operand()?;
        self.operand_tail(op)
    }

    fn operand_tail(&mut self, left: RawOperand) -> Result<RawCond, ExprError> {
        let t = self.peek();
        if t.kind == Kind::Sym
            && let Some(op) = CmpOp::from_symbol(self.text(t))
        {
            self.advance();
            let right = self.operand()?;
            return Ok(RawCond::Cmp(op, left, right));
        }
        if self.is_kw("BETWEEN") {
            self.advance();
            let low = self.operand()?;
            if !self.is_kw("AND") {
                return Err(self.error());
            }
            self.advance();
            let high = self.operand()?;
            return Ok(RawCond::Between(left, low, high));
        }
        if self.is_kw("IN") {
            self.advance();
            self.expect_sym("(")?;
            let mut list = vec![self.operand()?];
            while self.is_sym(",") {
                self.advance();
                list.push(self.operand()?);
            }
            self.expect_sym(")")?;
            return Ok(RawCond::In(left, list));
        }
        match left {
            RawOperand::Func(name, args) => Ok(RawCond::Func(name, args)),
            _ => Err(self.error()),
        }
    }

    fn set_value(&mut self) -> Result<RawSetValue, ExprError> {
        let left = self.operand()?;
        if self.is_sym("+") {
            self.advance();
            return Ok(RawSetValue::Plus(left, self.operand()?));
        }
        if self.is_sym("-") {
            self.advance();
            return Ok(RawSetValue::Minus(left, self.operand()?));
        }
        Ok(RawSetValue::Operand(left))
    }

    fn clause(&self) -> Option<Clause> {
        let t = self.peek();
        if t.kind != Kind::Ident {
            return None;
        }
        let w = self.text(t);
        [Clause::Set, Clause::Remove, Clause::Add, Clause::Delete]
            .into_iter()
            .find(|c| w.eq_ignore_ascii_case(c.keyword()))
    }

    fn placeholder_value(&mut self) -> Result<String, ExprError> {
        let t = self.peek();
        if t.kind != Kind::Value {
            return Err(self.error());
        }
        self.advance();
        Ok(self.text(t).to_string())
    }
}

/// Parses a condition (ConditionExpression, FilterExpression, KeyConditionExpression).
pub(crate) fn parse_condition(kind: &str, src: &str) -> Result<RawCond, ExprError> {
    let mut p = Parser::new(kind, src, CONDITION_KEYWORDS)?;
    let cond = p.or()?;
    p.expect_eof()?;
    Ok(cond)
}

/// Parses an UpdateExpression.
pub(crate) fn parse_update(src: &str) -> Result<RawUpdate, ExprError> {
    let mut p = Parser::new("UpdateExpression", src, UPDATE_KEYWORDS)?;
    let mut update = RawUpdate {
        actions: Vec::new(),
        clauses: Vec::new(),
    };
    loop {
        let Some(clause) = p.clause() else {
            return Err(p.error());
        };
        p.advance();
        update.clauses.push(clause);
        loop {
            let path = p.path()?;
            let action = match clause {
                Clause::Set => {
                    p.expect_sym("=")?;
                    let value = if p.is_sym("(") {
                        let saved = p.pos;
                        p.advance();
                        match p.set_value() {
                            Ok(v) if p.is_sym(")") => {
                                p.advance();
                                v
                            }
                            _ => {
                                p.pos = saved;
                                p.set_value()?
                            }
                        }
                    } else {
                        p.set_value()?
                    };
                    RawAction::Set(path, value)
                }
                Clause::Remove => RawAction::Remove(path),
                Clause::Add => RawAction::Add(path, p.placeholder_value()?),
                Clause::Delete => RawAction::Delete(path, p.placeholder_value()?),
            };
            update.actions.push(action);
            if p.is_sym(",") {
                p.advance();
            } else {
                break;
            }
        }
        if p.peek().kind == Kind::Eof {
            return Ok(update);
        }
    }
}

/// Parses a ProjectionExpression: paths separated by commas.
pub(crate) fn parse_projection(src: &str) -> Result<Vec<RawPath>, ExprError> {
    let mut p = Parser::new("ProjectionExpression", src, &[])?;
    let mut paths = vec![p.path()?];
    while p.is_sym(",") {
        p.advance();
        paths.push(p.path()?);
    }
    p.expect_eof()?;
    Ok(paths)
}

impl fmt::Display for RawPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            match e {
                RawElem::Ident(s) | RawElem::Name(s) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(s)?;
                }
                RawElem::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for RawOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawOperand::Path(p) => write!(f, "{p}"),
            RawOperand::Value(v) => f.write_str(v),
            RawOperand::Func(name, args) => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for RawCond {
    /// Prints the condition so that parsing the text gives the same tree;
    /// `And`/`Or`/`Not` children are parenthesised unless they are leaves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawCond::Cmp(op, a, b) => write!(f, "{a} {} {b}", op.symbol()),
            RawCond::Between(a, b, c) => write!(f, "{a} BETWEEN {b} AND {c}"),
            RawCond::In(a, list) => {
                write!(f, "{a} IN (")?;
                for (i, x) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str(")")
            }
            RawCond::And(a, b) => write!(f, "{} AND {}", Grouped(a), Grouped(b)),
            RawCond::Or(a, b) => write!(f, "{} OR {}", Grouped(a), Grouped(b)),
            RawCond::Not(a) => write!(f, "NOT {}", Grouped(a)),
            RawCond::Func(name, args) => write!(f, "{}", RawOperand::Func(name.clone(), args.clone())),
            RawCond::Paren(a) => write!(f, "({a})"),
        }
    }
}

/// A condition printed inside parentheses when it is compound.
struct Grouped<'a>(&'a RawCond);

impl fmt::Display for Grouped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            RawCond::And(..) | RawCond::Or(..) | RawCond::Not(..) => write!(f, "({})", self.0),
            other => write!(f, "{other}"),
        }
    }
}

#[cfg(test)]
impl RawCond {
    /// The same condition without `Paren` wrappers.
    pub(crate) fn without_parens(&self) -> RawCond {
        match self {
            RawCond::Paren(a) => a.without_parens(),
            RawCond::And(a, b) => RawCond::And(Box::new(a.without_parens()), Box::new(b.without_parens())),
            RawCond::Or(a, b) => RawCond::Or(Box::new(a.without_parens()), Box::new(b.without_parens())),
            RawCond::Not(a) => RawCond::Not(Box::new(a.without_parens())),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(s: &str) -> RawCond {
        parse_condition("ConditionExpression", s)
            .unwrap()
            .without_parens()
    }

    fn err(s: &str) -> String {
        parse_condition("ConditionExpression", s).unwrap_err().message
    }

    fn path(names: &[&str]) -> RawOperand {
        RawOperand::Path(RawPath(
            names.iter().map(|n| RawElem::Ident(n.to_string())).collect(),
        ))
    }

    #[test]
    fn precedence_is_or_and_not_comparison() {
        let c = cond("a = :a OR b = :b AND NOT c = :c");
        let want = RawCond::Or(
            Box::new(RawCond::Cmp(
                CmpOp::Eq,
                path(&["a"]),
                RawOperand::Value(":a".into()),
            )),
            Box::new(RawCond::And(
                Box::new(RawCond::Cmp(
                    CmpOp::Eq,
                    path(&["b"]),
                    RawOperand::Value(":b".into()),
                )),
                Box::new(RawCond::Not(Box::new(RawCond::Cmp(
                    CmpOp::Eq,
                    path(&["c"]),
                    RawOperand::Value(":c".into()),
                )))),
            )),
        );
        assert_eq!(c, want);
        let grouped = cond("(a = :a OR b = :b) AND c = :c");
        assert!(matches!(grouped, RawCond::And(..)));
    }

    #[test]
    fn between_binds_its_and() {
        let c = cond("a BETWEEN :x AND :y AND b = :z");
        match c {
            RawCond::And(l, _) => assert!(matches!(*l, RawCond::Between(..))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_paths_functions_and_in() {
        let c = cond("contains(a.b[3].#c, :v) OR size(x) > :n OR k IN (:a, :b)");
        assert_eq!(
            c.to_string(),
            "(contains(a.b[3].#c, :v) OR size(x) > :n) OR k IN (:a, :b)"
        );
        assert!(matches!(cond("(a) = :v"), RawCond::Cmp(..)));
        assert!(matches!(
            cond("(size(a)) BETWEEN :x AND :y"),
            RawCond::Between(..)
        ));
        assert!(matches!(cond("not attribute_exists(a)"), RawCond::Not(..)));
    }

    #[test]
    fn syntax_errors_name_the_token_and_its_neighbours() {
        assert_eq!(
            err("a = :v x"),
            "Invalid ConditionExpression: Syntax error; token: \"x\", near: \":v x\""
        );
        assert_eq!(
            err("a ="),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\""
        );
        assert_eq!(
            err("my-attr = :v"),
            "Invalid ConditionExpression: Syntax error; token: \"-\", near: \"my-attr\""
        );
        assert_eq!(
            err("a = :"),
            "Invalid ConditionExpression: Syntax error; token: \":\", near: \"= :\""
        );
        assert_eq!(
            err("a ! b"),
            "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"a ! b\""
        );
        assert!(err("a = AND").contains("token: \"AND\""));
        assert_eq!(
            err("a = :v é"),
            "Invalid ConditionExpression: Syntax error; token: \"é\", near: \":v é\""
        );
        assert!(err("a[x] = :v").contains("token: \"x\""));
        assert!(err("(a = :v").contains("<EOF>"));
        assert_eq!(
            err("  "),
            "Invalid ConditionExpression: The expression can not be empty;"
        );
        assert!(err(&"a".repeat(5000)).contains("Expression size has exceeded the maximum allowed size"));
    }

    #[test]
    fn parses_update_clauses_in_any_order() {
        let u = parse_update("remove a[1], b  SET c = c + :one, d = list_append(d, :l) ADD e :n delete f :s")
            .unwrap();
        assert_eq!(
            u.clauses,
            vec![Clause::Remove, Clause::Set, Clause::Add, Clause::Delete]
        );
        assert_eq!(u.actions.len(), 6);
        assert!(matches!(&u.actions[2], RawAction::Set(_, RawSetValue::Plus(..))));
        assert!(parse_update("SET a = (b - :c)").is_ok());
        let e = parse_update("SET a = b + c + d").unwrap_err().message;
        assert_eq!(
            e,
            "Invalid UpdateExpression: Syntax error; token: \"+\", near: \"c + d\""
        );
        assert!(
            parse_update("ADD a b")
                .unwrap_err()
                .message
                .contains("token: \"b\"")
        );
        assert!(parse_update("SET a = :v,").unwrap_err().message.contains("<EOF>"));
        assert!(
            parse_update("a = :v")
                .unwrap_err()
                .message
                .contains("token: \"a\"")
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}a = :v{}", "(".repeat(2000), ")".repeat(2000));
        assert!(err(&deep).contains("Syntax error"));
        let nots = format!("{}a = :v", "NOT ".repeat(1000));
        assert!(err(&nots).contains("Syntax error"));
        let operand = format!("{}a{} = :v", "(".repeat(2000), ")".repeat(2000));
        assert!(err(&operand).contains("Syntax error"));
        let funcs = format!("{}a{}", "size(".repeat(600), ")".repeat(600));
        assert!(err(&funcs).contains("Syntax error"));
        assert!(parse_update(&format!("SET a = {}b{}", "(".repeat(3000), ")".repeat(3000))).is_err());
        let ok = format!("{}a = :v{}", "(".repeat(20), ")".repeat(20));
        assert!(parse_condition("ConditionExpression", &ok).is_ok());
    }

    #[test]
    fn parses_projections() {
        let p = parse_projection("a, b.c[2], #d").unwrap();
        assert_eq!(p.len(), 3);
        assert!(parse_projection("a,").is_err());
        assert!(parse_projection("a b").is_err());
    }

    mod roundtrip {
        use super::super::*;
        use proptest::prelude::*;

        fn elem_head() -> impl Strategy<Value = RawElem> {
            prop_oneof![
                prop::sample::select(vec!["a", "pk", "x1", "_u", "Abc"])
                    .prop_map(|s| RawElem::Ident(s.to_string())),
                prop::sample::select(vec!["#n", "#0", "#a_b"]).prop_map(|s| RawElem::Name(s.to_string())),
            ]
        }

        fn path() -> impl Strategy<Value = RawPath> {
            let tail = prop_oneof![elem_head(), (0u32..12).prop_map(RawElem::Index)];
            (elem_head(), prop::collection::vec(tail, 0..3)).prop_map(|(h, mut t)| {
                t.insert(0, h);
                RawPath(t)
            })
        }

        fn leaf_operand() -> impl Strategy<Value = RawOperand> {
            prop_oneof![
                path().prop_map(RawOperand::Path),
                prop::sample::select(vec![":v", ":w2", ":_"]).prop_map(|s| RawOperand::Value(s.to_string())),
            ]
        }

        fn operand() -> impl Strategy<Value = RawOperand> {
            prop_oneof![
                3 => leaf_operand(),
                1 => (prop::sample::select(vec!["size", "foo"]), prop::collection::vec(leaf_operand(), 1..3))
                    .prop_map(|(n, a)| RawOperand::Func(n.to_string(), a)),
            ]
        }

        fn cmp_op() -> impl Strategy<Value = CmpOp> {
            prop::sample::select(vec![
                CmpOp::Eq,
                CmpOp::Ne,
                CmpOp::Lt,
                CmpOp::Le,
                CmpOp::Gt,
                CmpOp::Ge,
            ])
        }

        fn cond() -> impl Strategy<Value = RawCond> {
            let leaf = prop_oneof![
                (cmp_op(), operand(), operand()).prop_map(|(o, a, b)| RawCond::Cmp(o, a, b)),
                (operand(), operand(), operand()).prop_map(|(a, b, c)| RawCond::Between(a, b, c)),
                (operand(), prop::collection::vec(operand(), 1..4)).prop_map(|(a, l)| RawCond::In(a, l)),
                (
                    prop::sample::select(vec!["contains", "attribute_exists"]),
                    prop::collection::vec(operand(), 1..3)
                )
                    .prop_map(|(n, a)| RawCond::Func(n.to_string(), a)),
            ];
            leaf.prop_recursive(4, 16, 2, |inner| {
                prop_oneof![
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| RawCond::And(Box::new(a), Box::new(b))),
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| RawCond::Or(Box::new(a), Box::new(b))),
                    inner.prop_map(|a| RawCond::Not(Box::new(a))),
                ]
            })
        }

        proptest! {
            #[test]
            fn parse_of_print_round_trips(c in cond()) {
                let text = c.to_string();
                let back = parse_condition("ConditionExpression", &text)
                    .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
                prop_assert_eq!(back.without_parens(), c, "{}", text);
            }
        }
    }
}
