//! The DescribeEvents action: request decoding (source, time range,
//! categories) and the `Event` XML shape, over [`crate::events::Log`].

use super::{Params, Xml, check_filters, page};
use crate::engine::Engine;
use crate::errors::RdsError;
use crate::events::{Query, SOURCE_TYPES};
use crate::validate;
use chrono::Duration;

/// The actions this module serves.
pub const ACTIONS: &[&str] = &["DescribeEvents"];

/// Runs `action` when it is one of this module's, else `None`.
pub fn dispatch(
    engine: &Engine,
    region: &str,
    action: &str,
    p: &Params,
) -> Option<Result<Option<String>, RdsError>> {
    ACTIONS
        .contains(&action)
        .then(|| describe_events(engine, region, p))
}

fn describe_events(engine: &Engine, region: &str, p: &Params) -> Result<Option<String>, RdsError> {
    check_filters(&p.filters(), &[])?;
    let source_type = p.string("SourceType");
    validate::one_of("SourceType", source_type.as_deref(), SOURCE_TYPES)?;
    let source_id = p.string("SourceIdentifier");
    if source_id.is_some() && source_type.is_none() {
        return Err(RdsError::InvalidParameterCombination(
            "Cannot specify SourceIdentifier without SourceType.".to_owned(),
        ));
    }
    let now = engine.clock_now();
    let duration = p.int("Duration")?;
    if let Some(d) = duration
        && !(1..=20160).contains(&d)
    {
        return Err(RdsError::InvalidParameterValue(format!(
            "Invalid value {d} for Duration: it must be from 1 to 20160 minutes."
        )));
    }
    let mut start = p.time("StartTime")?;
    let end = p.time("EndTime")?;
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(RdsError::InvalidParameterCombination(
            "StartTime must be before EndTime.".to_owned(),
        ));
    }
    if start.is_none() {
        let minutes = i64::from(duration.unwrap_or(60));
        start = Some(end.unwrap_or(now) - Duration::minutes(minutes));
    }
    let query = Query {
        source_id,
        source_type,
        start,
        end,
        categories: p.list("EventCategories", "EventCategory"),
    };
    let list = engine.events().query(region, &query);
    let (items, marker) = page(p, list)?;
    let mut x = Xml::default();
    x.open("Events");
    for e in &items {
        x.open("Event");
        x.text("SourceIdentifier", &e.source_id);
        x.text("SourceType", e.source_type);
        x.text("Message", &e.message);
        x.open("EventCategories");
        for c in &e.categories {
            x.text("EventCategory", c);
        }
        x.close("EventCategories");
        x.time("Date", e.date);
        x.text("SourceArn", &e.source_arn);
        x.close("Event");
    }
    x.close("Events");
    x.opt("Marker", marker.as_deref());
    Ok(Some(x.into_string()))
}
