//! Which resources a backup selection covers, by AWS Backup's own rules.
//!
//! A selection read from any target is turned into the emulator's
//! selection model and evaluated with `firedrill_emu_backup::selection::selects`,
//! the same code that decides what the emulator's scheduler backs up:
//! `Resources` and `ListOfTags` OR'ed, then `NotResources` and every
//! `Conditions` entry narrowing. One implementation of AWS's rules serves
//! both the emulator and the audit.

use super::inventory::DataResource;
use firedrill_emu_backup::model::{Conditions, Selection, TagCondition};
use firedrill_emu_backup::provider::ProtectedResource;
use firedrill_emu_backup::selection::selects;

/// A resource a selection may pick: its ARN, name and tags.
#[derive(Debug, Clone)]
pub struct Candidate(ProtectedResource);

impl From<&DataResource<'_>> for Candidate {
    fn from(r: &DataResource<'_>) -> Self {
        Candidate(ProtectedResource {
            arn: r.arn.to_owned(),
            name: r.name.to_owned(),
            tags: r.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        })
    }
}

fn tag_conditions(list: &Option<Vec<aws_sdk_backup::types::ConditionParameter>>) -> Vec<TagCondition> {
    list.iter()
        .flatten()
        .map(|p| TagCondition {
            key: p.condition_key.clone().unwrap_or_default(),
            value: p.condition_value.clone().unwrap_or_default(),
        })
        .collect()
}

/// The selection as the emulator's rules read it.
pub fn selection_rule(s: &aws_sdk_backup::types::BackupSelection) -> Selection {
    let conditions = s
        .conditions
        .as_ref()
        .map(|c| Conditions {
            string_equals: tag_conditions(&c.string_equals),
            string_not_equals: tag_conditions(&c.string_not_equals),
            string_like: tag_conditions(&c.string_like),
            string_not_like: tag_conditions(&c.string_not_like),
        })
        .unwrap_or_default();
    Selection {
        name: s.selection_name.clone(),
        iam_role_arn: s.iam_role_arn.clone(),
        resources: s.resources.clone().unwrap_or_default(),
        not_resources: s.not_resources.clone().unwrap_or_default(),
        list_of_tags: s
            .list_of_tags
            .iter()
            .flatten()
            .map(|t| TagCondition {
                key: t.condition_key.clone(),
                value: t.condition_value.clone(),
            })
            .collect(),
        conditions,
        ..Selection::default()
    }
}

/// The ARNs among `candidates` that `selection` covers.
pub fn covered(selection: &Selection, candidates: &[Candidate]) -> Vec<String> {
    candidates
        .iter()
        .filter(|c| selects(selection, &c.0))
        .map(|c| c.0.arn.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::inventory::{ResourceKind, Tags};
    use aws_sdk_backup::types::{BackupSelection, Condition, ConditionParameter, ConditionType};

    fn candidate(arn: &str, tags: &[(&str, &str)]) -> Candidate {
        let tags: Tags = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Candidate::from(&DataResource {
            kind: ResourceKind::DynamodbTable,
            name: arn.rsplit('/').next().unwrap_or(arn),
            arn,
            tags: &tags,
        })
    }

    #[test]
    fn tags_and_conditions_pick_what_aws_would() {
        let carts = candidate(
            "arn:aws:dynamodb:us-east-1:1:table/carts",
            &[("backup", "daily"), ("env", "prod")],
        );
        let sessions = candidate("arn:aws:dynamodb:us-east-1:1:table/sessions", &[("env", "prod")]);
        let db = candidate(
            "arn:aws:rds:us-east-1:1:db:orders",
            &[("backup", "daily"), ("env", "dev")],
        );
        let all = [carts, sessions, db];
        let by_tag = BackupSelection::builder()
            .selection_name("tagged")
            .iam_role_arn("arn:aws:iam::1:role/r")
            .list_of_tags(
                Condition::builder()
                    .condition_type(ConditionType::Stringequals)
                    .condition_key("backup")
                    .condition_value("daily")
                    .build()
                    .unwrap(),
            )
            .conditions(
                aws_sdk_backup::types::Conditions::builder()
                    .string_equals(
                        ConditionParameter::builder()
                            .condition_key("aws:ResourceTag/env")
                            .condition_value("prod")
                            .build(),
                    )
                    .build(),
            )
            .build()
            .unwrap();
        assert_eq!(
            covered(&selection_rule(&by_tag), &all),
            ["arn:aws:dynamodb:us-east-1:1:table/carts"]
        );
        let rds_only = BackupSelection::builder()
            .selection_name("rds")
            .iam_role_arn("arn:aws:iam::1:role/r")
            .resources("arn:aws:rds:*:*:db:*")
            .build()
            .unwrap();
        assert_eq!(
            covered(&selection_rule(&rds_only), &all),
            ["arn:aws:rds:us-east-1:1:db:orders"]
        );
        let everything_but_sessions = BackupSelection::builder()
            .selection_name("all")
            .iam_role_arn("arn:aws:iam::1:role/r")
            .not_resources("*:table/sessions")
            .build()
            .unwrap();
        assert_eq!(covered(&selection_rule(&everything_but_sessions), &all).len(), 2);
    }
}
