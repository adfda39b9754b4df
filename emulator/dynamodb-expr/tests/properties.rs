//! Property tests: exact decimals agree with f64 and integer arithmetic on
//! small numbers, and no input (expression text or item) makes the parsers
//! or evaluators panic.

use firedrill_ddb_expr::{
    AttributeValue, Decimal, Item, Names, Params, Values, compare, normalize_number, parse_condition,
    parse_key_condition, parse_projection, parse_update,
};
use proptest::prelude::*;
use std::cmp::Ordering;

/// A decimal as text in one of several spellings, with its f64 value.
fn number_text() -> impl Strategy<Value = (String, f64)> {
    (-1_000_000_000i64..1_000_000_000, 0u32..7, 0u8..4).prop_map(|(m, scale, style)| {
        let value: f64 = format!("{m}E-{scale}").parse().unwrap();
        let text = match style {
            0 => format!("{m}E-{scale}"),
            1 => {
                let neg = m < 0;
                let digits = format!("{:0>width$}", m.unsigned_abs(), width = scale as usize + 1);
                let (int, frac) = digits.split_at(digits.len() - scale as usize);
                let sign = if neg { "-" } else { "" };
                if frac.is_empty() {
                    format!("{sign}{int}")
                } else {
                    format!("{sign}{int}.{frac}")
                }
            }
            2 => format!("{}e{}", m * 10, -(scale as i64) - 1),
            _ => {
                let neg = m < 0;
                let sign = if neg { "-" } else { "+" };
                format!("{sign}000{}.000e-{scale}", m.unsigned_abs())
            }
        };
        (text, value)
    })
}

fn n(s: &str) -> AttributeValue {
    AttributeValue::N(s.to_string())
}

proptest! {
    #[test]
    fn compare_agrees_with_f64((a, fa) in number_text(), (b, fb) in number_text()) {
        prop_assert_eq!(compare(&n(&a), &n(&b)), fa.partial_cmp(&fb), "{} vs {}", a, b);
    }

    #[test]
    fn normalize_is_canonical((a, fa) in number_text()) {
        let norm = normalize_number(&a).unwrap();
        prop_assert_eq!(normalize_number(&norm).unwrap(), norm.clone());
        prop_assert_eq!(compare(&n(&a), &n(&norm)), Some(Ordering::Equal));
        prop_assert_eq!(norm.parse::<f64>().unwrap(), fa);
        prop_assert!(!norm.contains('E') && !norm.contains('e'));
    }

    #[test]
    fn equal_values_normalize_equally((a, fa) in number_text(), (b, fb) in number_text()) {
        let same = normalize_number(&a).unwrap() == normalize_number(&b).unwrap();
        prop_assert_eq!(same, fa == fb);
    }

    #[test]
    fn arithmetic_agrees_with_integers(x in -10i128.pow(30)..10i128.pow(30), y in -10i128.pow(30)..10i128.pow(30), scale in 0u32..20) {
        let dx = Decimal::parse(&format!("{x}E-{scale}")).unwrap();
        let dy = Decimal::parse(&format!("{y}E-{scale}")).unwrap();
        let want_sum = Decimal::parse(&format!("{}E-{scale}", x + y)).unwrap();
        let want_diff = Decimal::parse(&format!("{}E-{scale}", x - y)).unwrap();
        prop_assert_eq!(dx.checked_add(&dy).unwrap(), want_sum);
        prop_assert_eq!(dx.checked_sub(&dy).unwrap(), want_diff);
        prop_assert_eq!(dx.cmp(&dy), x.cmp(&y));
    }
}

/// Arbitrary attribute values, including invalid numbers and deep nesting.
fn value() -> impl Strategy<Value = AttributeValue> {
    let name = prop::sample::select(vec!["a", "b", "c", "n", "s", "l", "m"]);
    let leaf = prop_oneof![
        "[a-c]{0,3}".prop_map(AttributeValue::S),
        prop_oneof![
            Just("1".to_string()),
            Just("-2.5".to_string()),
            Just("1E+125".to_string()),
            Just("junk".to_string()),
            Just("9".repeat(38))
        ]
        .prop_map(AttributeValue::N),
        prop::collection::vec(any::<u8>(), 0..3).prop_map(AttributeValue::B),
        prop::collection::vec("[a-c]{1,2}", 0..3).prop_map(AttributeValue::Ss),
        prop::collection::vec(
            prop::sample::select(vec!["1", "2", "3.5"]).prop_map(String::from),
            0..3
        )
        .prop_map(AttributeValue::Ns),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 1..2), 0..2).prop_map(AttributeValue::Bs),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null(true)),
    ];
    leaf.prop_recursive(4, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
            prop::collection::btree_map(name.clone().prop_map(String::from), inner, 0..4)
                .prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = Item> {
    prop::collection::btree_map(
        prop::sample::select(vec!["a", "b", "c", "n", "s", "l", "m", "pk"]).prop_map(String::from),
        value(),
        0..6,
    )
}

fn placeholders() -> (Names, Values) {
    let names: Names = [("#a", "a"), ("#l", "l"), ("#pk", "pk")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let values: Values = [
        (":n", n("1")),
        (":s", AttributeValue::S("a".into())),
        (":t", AttributeValue::S("M".into())),
        (":l", AttributeValue::L(vec![n("2")])),
        (":ss", AttributeValue::Ss(vec!["a".into(), "z".into()])),
        (":ns", AttributeValue::Ns(vec!["1".into()])),
        (":big", n("9.9999999999999999999999999999999999999E+125")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    (names, values)
}

const UPDATES: &[&str] = &[
    "SET a = a + :n",
    "SET a = :big + a",
    "SET b = list_append(l, :l)",
    "SET l[0] = :n, l[5] = :s",
    "SET m.a.b = :n",
    "SET c = if_not_exists(c, :n) - :n",
    "REMOVE l[0], l[2], m.a, m.b[1]",
    "ADD n :n, s :ss, b :ns",
    "DELETE s :ss, n :ns",
    "SET #l[1] = #a REMOVE b ADD c :n DELETE s :ss",
    "SET pk = :s",
];

const CONDITIONS: &[&str] = &[
    "a = :n OR NOT (b < :s AND size(l) >= :n)",
    "contains(l, :n) AND contains(s, :s) OR begins_with(s, :s)",
    "attribute_type(m.a, :t) OR attribute_exists(l[3].b) OR attribute_not_exists(#a)",
    "a BETWEEN :n AND :big",
    "a IN (:n, :s, :l, :ss) AND b <> :ns",
    "size(m) > size(s) AND m.a.b[0] <= :n",
];

proptest! {
    #[test]
    fn updates_never_panic(it in item(), which in 0..UPDATES.len()) {
        let (names, values) = placeholders();
        let mut p = Params::new(Some(&names), Some(&values));
        let u = parse_update(UPDATES[which], &mut p).unwrap();
        match u.apply(&it, &["pk"]) {
            Ok(out) => {
                for k in out.keys() {
                    prop_assert!(it.contains_key(k) || u.touched_attributes().contains(k));
                }
            }
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
    }

    #[test]
    fn conditions_and_projections_never_panic(it in item(), which in 0..CONDITIONS.len()) {
        let (names, values) = placeholders();
        let mut p = Params::new(Some(&names), Some(&values));
        let c = parse_condition(CONDITIONS[which], &mut p).unwrap();
        let _ = c.evaluate(Some(&it)).unwrap();
        let _ = c.evaluate(None).unwrap();
        let proj = parse_projection("a, m.a, l[1], l[0].b, #pk", &mut p).unwrap();
        let out = proj.apply(&it);
        for k in out.keys() {
            prop_assert!(["a", "m", "l", "pk"].contains(&k.as_str()));
        }
    }

    #[test]
    fn parsers_never_panic_on_garbage(text in "[ a-zA-Z0-9_#:=<>()\\[\\],.+\\-é!]{0,40}") {
        let (names, values) = placeholders();
        let mut p = Params::new(Some(&names), Some(&values));
        let _ = parse_condition(&text, &mut p);
        let _ = parse_update(&text, &mut p);
        let _ = parse_projection(&text, &mut p);
        let _ = parse_key_condition(&text, &mut p, "pk", Some("a"));
    }

    #[test]
    fn parsers_never_panic_on_near_misses(which in 0..CONDITIONS.len() + UPDATES.len(), cut in 0usize..80, junk in "[ ()\\[\\],.:#a-z0-9]{0,3}") {
        let base = if which < CONDITIONS.len() { CONDITIONS[which] } else { UPDATES[which - CONDITIONS.len()] };
        let cut = cut.min(base.len());
        let cut = (0..=cut).rev().find(|i| base.is_char_boundary(*i)).unwrap_or(0);
        let text = format!("{}{}{}", &base[..cut], junk, &base[cut..]);
        let (names, values) = placeholders();
        let mut p = Params::new(Some(&names), Some(&values));
        let _ = parse_condition(&text, &mut p);
        let _ = parse_update(&text, &mut p);
    }
}

proptest! {
    #[test]
    fn sort_key_conditions_agree_with_compare((a, _) in number_text(), (b, _) in number_text(), (c, _) in number_text()) {
        use firedrill_ddb_expr::SortKeyCondition as K;
        let (va, vb, vc) = (n(&a), n(&b), n(&c));
        let o = compare(&va, &vb).unwrap();
        prop_assert_eq!(K::Eq(vb.clone()).matches(&va), o == Ordering::Equal);
        prop_assert_eq!(K::Lt(vb.clone()).matches(&va), o == Ordering::Less);
        prop_assert_eq!(K::Le(vb.clone()).matches(&va), o != Ordering::Greater);
        prop_assert_eq!(K::Gt(vb.clone()).matches(&va), o == Ordering::Greater);
        prop_assert_eq!(K::Ge(vb.clone()).matches(&va), o != Ordering::Less);
        let between = o != Ordering::Less && compare(&va, &vc).unwrap() != Ordering::Greater;
        prop_assert_eq!(K::Between(vb.clone(), vc.clone()).matches(&va), between);
        prop_assert!(!K::Eq(vb).matches(&AttributeValue::S(a)));
    }

    #[test]
    fn add_then_delete_of_a_set_restores_it(start in prop::collection::btree_set("[a-d]", 1..4), extra in prop::collection::btree_set("[e-g]", 1..3)) {
        let start: Vec<String> = start.into_iter().collect();
        let extra: Vec<String> = extra.into_iter().collect();
        let values: Values = [(":x".to_string(), AttributeValue::Ss(extra.clone()))].into();
        let mut p = Params::new(None, Some(&values));
        let add = parse_update("ADD s :x", &mut p).unwrap();
        let del = parse_update("DELETE s :x", &mut p).unwrap();
        let item: Item = [("s".to_string(), AttributeValue::Ss(start.clone()))].into();
        let grown = add.apply(&item, &[]).unwrap();
        match &grown["s"] {
            AttributeValue::Ss(all) => prop_assert_eq!(all.len(), start.len() + extra.len()),
            other => prop_assert!(false, "{:?}", other),
        }
        prop_assert_eq!(del.apply(&grown, &[]).unwrap(), item);
    }
}
