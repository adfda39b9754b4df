//! Evaluating a backup selection against the resources that exist now.
//!
//! A selection is evaluated at each scheduled run, so a resource tagged
//! after the plan was made joins it with no change to the plan. AWS's
//! rules: `Resources` (ARNs, with `*` wildcards) and `ListOfTags`
//! (`STRINGEQUALS` on a tag) are OR'ed to pick resources; `NotResources` and
//! `Conditions` (`StringEquals` / `StringNotEquals` / `StringLike` /
//! `StringNotLike` on `aws:ResourceTag/<key>`) then narrow that set, every
//! condition having to hold. A selection with neither `Resources` nor
//! `ListOfTags` starts from every resource (AWS: "Backup selects all
//! supported and opted-in storage resources"). Wildcards are `*` only.

use crate::model::{Selection, TagCondition};
use crate::provider::ProtectedResource;

/// Whether `text` matches `pattern`, where `*` matches any run of
/// characters (AWS's `StringLike` and resource ARN wildcards; every other
/// character, `?` included, matches itself).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matching with backtracking to the last star: linear in
    // practice and never recursive.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&tc) = t.get(ti) {
        let pc = p.get(pi).copied();
        if pc.is_some_and(|c| c != '*' && c == tc) {
            pi += 1;
            ti += 1;
        } else if pc == Some('*') {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

/// The tag key a condition names: `aws:ResourceTag/Environment` or plain
/// `Environment`.
fn tag_key(condition_key: &str) -> &str {
    condition_key
        .strip_prefix("aws:ResourceTag/")
        .unwrap_or(condition_key)
}

fn tag_value<'a>(resource: &'a ProtectedResource, key: &str) -> Option<&'a str> {
    resource
        .tags
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn condition_holds(resource: &ProtectedResource, cond: &TagCondition, like: bool, negate: bool) -> bool {
    let value = tag_value(resource, tag_key(&cond.key));
    let hit = match value {
        Some(v) if like => glob_match(&cond.value, v),
        Some(v) => v == cond.value,
        None => false,
    };
    hit != negate
}

/// Whether `selection` picks `resource`.
pub fn selects(selection: &Selection, resource: &ProtectedResource) -> bool {
    let by_arn = selection
        .resources
        .iter()
        .any(|pattern| glob_match(pattern, &resource.arn));
    let by_tag = selection
        .list_of_tags
        .iter()
        .any(|cond| condition_holds(resource, cond, false, false));
    let has_base = !selection.resources.is_empty() || !selection.list_of_tags.is_empty();
    let picked = !has_base || by_arn || by_tag;
    if !picked {
        return false;
    }
    if selection
        .not_resources
        .iter()
        .any(|pattern| glob_match(pattern, &resource.arn))
    {
        return false;
    }
    let c = &selection.conditions;
    c.string_equals
        .iter()
        .all(|x| condition_holds(resource, x, false, false))
        && c.string_not_equals
            .iter()
            .all(|x| condition_holds(resource, x, false, true))
        && c.string_like
            .iter()
            .all(|x| condition_holds(resource, x, true, false))
        && c.string_not_like
            .iter()
            .all(|x| condition_holds(resource, x, true, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Conditions;

    fn resource(arn: &str, tags: &[(&str, &str)]) -> ProtectedResource {
        ProtectedResource {
            arn: arn.to_owned(),
            name: arn.rsplit('/').next().unwrap_or(arn).to_owned(),
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn cond(key: &str, value: &str) -> TagCondition {
        TagCondition {
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match(
            "arn:aws:dynamodb:*:*:table/*",
            "arn:aws:dynamodb:us-east-1:000000000000:table/carts"
        ));
        assert!(!glob_match(
            "arn:aws:dynamodb:*:*:table/*",
            "arn:aws:rds:us-east-1:000000000000:db:orders"
        ));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("*rod*", "production"));
        assert!(!glob_match("Prod?", "Prod1"));
        assert!(glob_match("Prod?", "Prod?"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
    }

    #[test]
    fn arns_and_tags_are_ored_then_narrowed() {
        let carts = resource(
            "arn:aws:dynamodb:us-east-1:000000000000:table/carts",
            &[("Environment", "Production")],
        );
        let scratch = resource("arn:aws:dynamodb:us-east-1:000000000000:table/scratch", &[]);
        let orders = resource(
            "arn:aws:rds:us-east-1:000000000000:db:orders",
            &[("Environment", "Production")],
        );
        let mut sel = Selection {
            list_of_tags: vec![cond("Environment", "Production")],
            ..Selection::default()
        };
        assert!(selects(&sel, &carts));
        assert!(selects(&sel, &orders));
        assert!(!selects(&sel, &scratch));
        sel.resources = vec!["arn:aws:dynamodb:*:*:table/scratch".into()];
        assert!(selects(&sel, &scratch));
        sel.not_resources = vec!["arn:aws:rds:*".into()];
        assert!(!selects(&sel, &orders));
    }

    #[test]
    fn conditions_all_hold() {
        let prod = resource(
            "arn:aws:s3:::assets",
            &[("Environment", "Production"), ("Team", "web")],
        );
        let dev = resource("arn:aws:s3:::dev-assets", &[("Environment", "Dev")]);
        let sel = Selection {
            resources: vec!["*".into()],
            conditions: Conditions {
                string_equals: vec![cond("aws:ResourceTag/Environment", "Production")],
                string_like: vec![cond("aws:ResourceTag/Team", "w*")],
                string_not_equals: vec![cond("aws:ResourceTag/Skip", "true")],
                string_not_like: vec![cond("aws:ResourceTag/Team", "ops*")],
            },
            ..Selection::default()
        };
        assert!(selects(&sel, &prod));
        assert!(!selects(&sel, &dev));
        let only_conditions = Selection {
            conditions: Conditions {
                string_equals: vec![cond("aws:ResourceTag/Environment", "Dev")],
                ..Conditions::default()
            },
            ..Selection::default()
        };
        assert!(selects(&only_conditions, &dev));
        assert!(!selects(&only_conditions, &prod));
        assert!(
            selects(&Selection::default(), &prod),
            "an empty selection selects everything"
        );
    }
}
