//! DynamoDB Streams: the change log of a table whose `StreamSpecification`
//! is on, and the Streams API over it (`ListStreams`, `DescribeStream`,
//! `GetShardIterator`, `GetRecords`).
//!
//! A stream is created when a table is created with a stream or one is
//! enabled by `UpdateTable`; it has one shard, whose sequence numbers rise
//! by one per record. Every write path (single-item writes, batches,
//! transactions and time-to-live deletions) reaches the log through
//! [`crate::items::commit`], so a record is written exactly when an item
//! changes: a write that leaves an item as it was writes none, as on AWS.
//! Time-to-live deletions carry the service's `userIdentity`.
//!
//! Records are kept for 24 hours of emulator time, then trimmed; a disabled
//! stream (by `UpdateTable` or `DeleteTable`) closes its shard and stays
//! readable for 24 hours. Iterators are valid for 15 minutes
//! (`ExpiredIteratorException`); one that points at trimmed records is
//! `TrimmedDataAccessException`.

use crate::engine::{Engine, Region};
use crate::errors::{DynamoDbError, Result, not_null, one_of};
use crate::keys::KeySchema;
use crate::protocol::{
    DescribeStreamInput, DescribeStreamOutput, GetRecordsInput, GetRecordsOutput, GetShardIteratorInput,
    GetShardIteratorOutput, Identity, KeySchemaElement, ListStreamsInput, ListStreamsOutput, Record,
    SequenceNumberRange, Shard, StreamDescription, StreamRecord, StreamSpecification, StreamSummary,
    Timestamp,
};
use chrono::{DateTime, Duration, Utc};
use firedrill_ddb_expr::{Item, item_size};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;

/// How long records (and disabled streams) are kept.
pub const RETENTION_HOURS: i64 = 24;
/// How long a shard iterator may be used.
pub const ITERATOR_MINUTES: i64 = 15;
/// The most records one `GetRecords` returns.
const MAX_RECORDS: i64 = 1000;
/// The most bytes one `GetRecords` returns.
const MAX_BYTES: usize = 1024 * 1024;
/// The view types a stream can have.
const VIEW_TYPES: [&str; 4] = ["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"];
/// The iterator types `GetShardIterator` takes.
const ITERATOR_TYPES: [&str; 4] = [
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
];

/// A stream shared by its table (which appends) and its region (which
/// serves reads, also after the table is gone).
pub type SharedStream = Arc<Mutex<StreamLog>>;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A request.
    User,
    /// DynamoDB itself (time to live).
    Service,
}

/// One change as the log keeps it.
#[derive(Debug, Clone)]
struct Change {
    seq: u64,
    at: DateTime<Utc>,
    id: String,
    keys: Item,
    old: Option<Arc<Item>>,
    new: Option<Arc<Item>>,
    origin: Origin,
}

/// One stream: its identity and its one shard's records.
#[derive(Debug)]
pub struct StreamLog {
    /// `<table arn>/stream/<label>`.
    pub arn: String,
    /// The creation instant, `2026-12-01T12:00:00.000`.
    pub label: String,
    /// The table's name.
    pub table_name: String,
    /// The table's region.
    pub region: String,
    /// The table's key schema as given.
    pub key_schema: Vec<KeySchemaElement>,
    key: KeySchema,
    /// `NEW_IMAGE`, `OLD_IMAGE`, `NEW_AND_OLD_IMAGES` or `KEYS_ONLY`.
    pub view_type: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was disabled (its shard closed).
    pub disabled_at: Option<DateTime<Utc>>,
    shard_id: String,
    records: VecDeque<Change>,
    next_seq: u64,
    /// The highest sequence number trimmed (0: none).
    trimmed_through: u64,
}

/// A sequence number as the wire carries it (21 digits at least).
fn seq_text(seq: u64) -> String {
    format!("{seq:021}")
}

/// Checks `SequenceNumber` against the model (21 to 40 digits).
fn parse_seq(text: &str) -> Result<u64> {
    if !(21..=40).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DynamoDbError::validation(format!(
            "Invalid SequenceNumber: {text}: a sequence number is 21 to 40 digits"
        )));
    }
    Ok(text
        .parse::<u128>()
        .map_or(u64::MAX, |v| u64::try_from(v).unwrap_or(u64::MAX)))
}

/// A `1 validation error detected` message for a limit out of range.
fn check_limit(limit: Option<i64>, member: &str, max: i64) -> Result<Option<usize>> {
    match limit {
        None => Ok(None),
        Some(l) if l < 1 => Err(DynamoDbError::validation(format!(
            "1 validation error detected: Value '{l}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ))),
        Some(l) => Ok(Some(usize::try_from(l.min(max)).unwrap_or(usize::MAX))),
    }
}

fn stream_missing(arn: &str) -> DynamoDbError {
    DynamoDbError::ResourceNotFound(format!("Requested resource not found: Stream: {arn} not found"))
}

/// Checks a `StreamSpecification` as AWS does: an enabled stream needs one
/// of the four view types. Returns the view type of a stream to enable.
pub fn validate_spec(spec: &StreamSpecification) -> Result<Option<String>> {
    one_of(
        spec.stream_view_type.as_deref(),
        "streamSpecification.streamViewType",
        &VIEW_TYPES,
    )?;
    if !spec.stream_enabled {
        return Ok(None);
    }
    match &spec.stream_view_type {
        Some(v) => Ok(Some(v.clone())),
        None => Err(DynamoDbError::validation(
            "One or more parameter values were invalid: You must specify a StreamViewType when enabling a stream",
        )),
    }
}

/// An opaque iterator: where to read next, and when it was handed out.
struct ShardIterator {
    arn: String,
    shard_id: String,
    position: u64,
    issued_at: DateTime<Utc>,
}

impl ShardIterator {
    fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.arn,
            self.shard_id,
            self.position,
            self.issued_at.timestamp_nanos_opt().unwrap_or_default()
        )
    }

    fn decode(text: &str) -> Result<Self> {
        let invalid = || DynamoDbError::validation(format!("Invalid ShardIterator: {text}"));
        let mut parts = text.rsplitn(4, '|');
        let issued: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(invalid)?;
        let position: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(invalid)?;
        let shard_id = parts.next().ok_or_else(invalid)?.to_owned();
        let arn = parts.next().ok_or_else(invalid)?.to_owned();
        Ok(Self {
            arn,
            shard_id,
            position,
            issued_at: DateTime::from_timestamp_nanos(issued),
        })
    }
}

impl StreamLog {
    /// A new, enabled stream for a table, created at `now`.
    pub fn new(
        table_arn: &str,
        table_name: &str,
        region: &str,
        key_schema: Vec<KeySchemaElement>,
        key: KeySchema,
        view_type: String,
        now: DateTime<Utc>,
    ) -> Self {
        let label = now.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
        Self {
            arn: format!("{table_arn}/stream/{label}"),
            label,
            table_name: table_name.to_owned(),
            region: region.to_owned(),
            key_schema,
            key,
            view_type,
            created_at: now,
            disabled_at: None,
            shard_id: format!(
                "shardId-{:020}-{}",
                now.timestamp_millis(),
                firedrill_emu_core::ids::random_hex(8)
            ),
            records: VecDeque::new(),
            next_seq: 1,
            trimmed_through: 0,
        }
    }

    /// Appends the change of one item, unless it changed nothing.
    pub fn append(
        &mut self,
        at: DateTime<Utc>,
        old: Option<&Arc<Item>>,
        new: Option<&Arc<Item>>,
        origin: Origin,
    ) {
        if self.disabled_at.is_some() || old == new {
            return;
        }
        let Some(any) = new.or(old) else { return };
        let mut keys = Item::new();
        let mut names = vec![&self.key.partition.0];
        if let Some((sort, _)) = &self.key.sort {
            names.push(sort);
        }
        for name in names {
            if let Some(v) = any.get(name) {
                keys.insert(name.clone(), v.clone());
            }
        }
        self.records.push_back(Change {
            seq: self.next_seq,
            at,
            id: uuid::Uuid::new_v4().simple().to_string(),
            keys,
            old: old.cloned(),
            new: new.cloned(),
            origin,
        });
        self.next_seq = self.next_seq.saturating_add(1);
    }

    /// Closes the shard: no more records are written.
    pub fn disable(&mut self, now: DateTime<Utc>) {
        self.disabled_at.get_or_insert(now);
    }

    /// Drops the records older than the retention period.
    pub fn trim(&mut self, now: DateTime<Utc>) {
        let horizon = now - Duration::hours(RETENTION_HOURS);
        while self.records.front().is_some_and(|c| c.at < horizon) {
            if let Some(c) = self.records.pop_front() {
                self.trimmed_through = c.seq;
            }
        }
    }

    /// Whether the stream has passed its 24 hours after being disabled.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.disabled_at
            .is_some_and(|d| now >= d + Duration::hours(RETENTION_HOURS))
    }

    fn summary(&self) -> StreamSummary {
        StreamSummary {
            stream_arn: self.arn.clone(),
            table_name: self.table_name.clone(),
            stream_label: self.label.clone(),
        }
    }

    fn shard(&self) -> Shard {
        let last = self.next_seq.saturating_sub(1);
        Shard {
            shard_id: self.shard_id.clone(),
            sequence_number_range: SequenceNumberRange {
                starting_sequence_number: Some(seq_text(1)),
                ending_sequence_number: self.disabled_at.map(|_| seq_text(last.max(1))),
            },
            parent_shard_id: None,
        }
    }

    fn record(&self, c: &Change) -> Record {
        let new_image = matches!(self.view_type.as_str(), "NEW_IMAGE" | "NEW_AND_OLD_IMAGES")
            .then(|| c.new.as_deref().cloned())
            .flatten();
        let old_image = matches!(self.view_type.as_str(), "OLD_IMAGE" | "NEW_AND_OLD_IMAGES")
            .then(|| c.old.as_deref().cloned())
            .flatten();
        let size = item_size(&c.keys)
            + new_image.as_ref().map_or(0, item_size)
            + old_image.as_ref().map_or(0, item_size);
        let event = match (&c.old, &c.new) {
            (None, _) => "INSERT",
            (Some(_), Some(_)) => "MODIFY",
            (Some(_), None) => "REMOVE",
        };
        Record {
            event_id: c.id.clone(),
            event_name: event.to_owned(),
            event_version: "1.1".to_owned(),
            event_source: "aws:dynamodb".to_owned(),
            aws_region: self.region.clone(),
            dynamodb: StreamRecord {
                approximate_creation_date_time: Timestamp(
                    DateTime::from_timestamp(c.at.timestamp(), 0).unwrap_or(c.at),
                ),
                keys: c.keys.clone(),
                new_image,
                old_image,
                sequence_number: seq_text(c.seq),
                size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
                stream_view_type: self.view_type.clone(),
            },
            user_identity: (c.origin == Origin::Service).then(|| Identity {
                principal_id: "dynamodb.amazonaws.com".to_owned(),
                kind: "Service".to_owned(),
            }),
        }
    }
}

/// Attaches a new stream to table `name` of `r` and registers it; returns
/// nothing, the table's description then names it.
pub(crate) fn open(r: &mut Region, name: &str, region: &str, view_type: String, now: DateTime<Utc>) {
    let Some(t) = r.tables.get_mut(name) else { return };
    let mut at = now;
    let log = loop {
        let log = StreamLog::new(
            &t.meta.arn,
            name,
            region,
            t.meta.key_schema.clone(),
            t.meta.key.clone(),
            view_type.clone(),
            at,
        );
        if !r.streams.contains_key(&log.arn) {
            break log;
        }
        // Two streams of one table in the same millisecond: the label is
        // the ARN's only distinct part, so the later one takes the next.
        at += Duration::milliseconds(1);
    };
    t.meta.latest_stream = Some((log.arn.clone(), log.label.clone()));
    t.meta.stream = Some(StreamSpecification {
        stream_enabled: true,
        stream_view_type: Some(view_type),
    });
    let shared = Arc::new(Mutex::new(log));
    r.streams.insert(shared.lock().arn.clone(), shared.clone());
    t.stream = Some(shared);
}

/// Closes the stream of table `name`, if it has one.
pub(crate) fn close(r: &mut Region, name: &str, now: DateTime<Utc>) {
    if let Some(t) = r.tables.get_mut(name) {
        t.meta.stream = None;
        if let Some(s) = t.stream.take() {
            s.lock().disable(now);
        }
    }
}

/// Lets time pass for a region's streams: trims records, forgets streams
/// disabled more than 24 hours ago.
pub(crate) fn tick(r: &mut Region, now: DateTime<Utc>) {
    r.streams.retain(|_, s| {
        let mut s = s.lock();
        s.trim(now);
        !s.expired(now)
    });
}

impl Engine {
    fn stream(&self, region: &str, arn: &str) -> Result<SharedStream> {
        let now = self.now();
        let state = self.region(region);
        let r = state.read();
        let s = r.streams.get(arn).cloned().ok_or_else(|| stream_missing(arn))?;
        {
            let mut log = s.lock();
            if log.expired(now) {
                return Err(stream_missing(arn));
            }
            log.trim(now);
        }
        Ok(s)
    }

    /// `ListStreams`.
    pub fn list_streams(&self, region: &str, input: ListStreamsInput) -> Result<ListStreamsOutput> {
        let limit = check_limit(input.limit, "limit", 100)?.unwrap_or(100);
        let now = self.now();
        let state = self.region(region);
        let r = state.read();
        let mut streams: Vec<StreamSummary> = r
            .streams
            .values()
            .filter_map(|s| {
                let s = s.lock();
                let wanted = input.table_name.as_ref().is_none_or(|t| *t == s.table_name);
                (wanted && !s.expired(now)).then(|| s.summary())
            })
            .filter(|s| {
                input
                    .exclusive_start_stream_arn
                    .as_ref()
                    .is_none_or(|start| s.stream_arn.as_str() > start.as_str())
            })
            .collect();
        let more = streams.len() > limit;
        streams.truncate(limit);
        Ok(ListStreamsOutput {
            last_evaluated_stream_arn: more
                .then(|| streams.last().map(|s| s.stream_arn.clone()))
                .flatten(),
            streams,
        })
    }

    /// `DescribeStream`.
    pub fn describe_stream(&self, region: &str, input: DescribeStreamInput) -> Result<DescribeStreamOutput> {
        not_null(&input.stream_arn, "streamArn")?;
        check_limit(input.limit, "limit", 100)?;
        one_of(
            input.shard_filter.as_ref().and_then(|f| f.kind.as_deref()),
            "shardFilter.type",
            &["CHILD_SHARDS"],
        )?;
        let s = self.stream(region, &input.stream_arn)?;
        let s = s.lock();
        let shard = s.shard();
        // One shard, which has no parent: a page after it, or its children,
        // are empty.
        let shards = if input.exclusive_start_shard_id.is_some() || input.shard_filter.is_some() {
            Vec::new()
        } else {
            vec![shard]
        };
        Ok(DescribeStreamOutput {
            stream_description: StreamDescription {
                stream_arn: s.arn.clone(),
                stream_label: s.label.clone(),
                stream_status: if s.disabled_at.is_some() {
                    "DISABLED"
                } else {
                    "ENABLED"
                }
                .to_owned(),
                stream_view_type: s.view_type.clone(),
                creation_request_date_time: Timestamp(s.created_at),
                table_name: s.table_name.clone(),
                key_schema: s.key_schema.clone(),
                shards,
                last_evaluated_shard_id: None,
            },
        })
    }

    /// `GetShardIterator`.
    pub fn get_shard_iterator(
        &self,
        region: &str,
        input: GetShardIteratorInput,
    ) -> Result<GetShardIteratorOutput> {
        not_null(&input.stream_arn, "streamArn")?;
        not_null(&input.shard_id, "shardId")?;
        not_null(&input.shard_iterator_type, "shardIteratorType")?;
        let kind = input.shard_iterator_type.as_str();
        one_of(Some(kind), "shardIteratorType", &ITERATOR_TYPES)?;
        let at_seq = match (kind, input.sequence_number.as_deref()) {
            ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER", None) => {
                return Err(DynamoDbError::validation(format!(
                    "Must specify a sequence number for iterator type {kind}"
                )));
            }
            ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER", Some(n)) => Some(parse_seq(n)?),
            _ => None,
        };
        let s = self.stream(region, &input.stream_arn)?;
        let s = s.lock();
        if input.shard_id != s.shard_id {
            return Err(DynamoDbError::ResourceNotFound(format!(
                "Requested resource not found: Shard does not exist: {}",
                input.shard_id
            )));
        }
        let position = match (kind, at_seq) {
            ("LATEST", _) => s.next_seq,
            ("AT_SEQUENCE_NUMBER", Some(n)) => n,
            ("AFTER_SEQUENCE_NUMBER", Some(n)) => n.saturating_add(1),
            _ => s.trimmed_through.saturating_add(1),
        };
        if let Some(n) = at_seq
            && n <= s.trimmed_through
        {
            return Err(DynamoDbError::TrimmedDataAccess(format!(
                "Attempted to access a sequence number ({}) that is past the trim horizon of the shard {}",
                seq_text(n),
                s.shard_id
            )));
        }
        Ok(GetShardIteratorOutput {
            shard_iterator: ShardIterator {
                arn: s.arn.clone(),
                shard_id: s.shard_id.clone(),
                position,
                issued_at: self.now(),
            }
            .encode(),
        })
    }

    /// `GetRecords`.
    pub fn get_records(&self, region: &str, input: GetRecordsInput) -> Result<GetRecordsOutput> {
        not_null(&input.shard_iterator, "shardIterator")?;
        if input.shard_iterator.len() > 2048 {
            return Err(DynamoDbError::validation(
                "1 validation error detected: Value at 'shardIterator' failed to satisfy constraint: Member must have length less than or equal to 2048",
            ));
        }
        let limit = check_limit(input.limit, "limit", MAX_RECORDS)?.unwrap_or(1000);
        let it = ShardIterator::decode(&input.shard_iterator)?;
        let now = self.now();
        let s = self.stream(region, &it.arn)?;
        let s = s.lock();
        if it.shard_id != s.shard_id {
            return Err(DynamoDbError::ResourceNotFound(format!(
                "Requested resource not found: Shard does not exist: {}",
                it.shard_id
            )));
        }
        if now - it.issued_at > Duration::minutes(ITERATOR_MINUTES) {
            return Err(DynamoDbError::ExpiredIterator(format!(
                "Iterator expired. The iterator was created at time {} while right now it is {}. The iterator is valid for {ITERATOR_MINUTES} minutes.",
                it.issued_at.format("%a %b %d %H:%M:%S UTC %Y"),
                now.format("%a %b %d %H:%M:%S UTC %Y"),
            )));
        }
        if it.position <= s.trimmed_through {
            return Err(DynamoDbError::TrimmedDataAccess(format!(
                "Attempted to access a sequence number ({}) that is past the trim horizon of the shard {}",
                seq_text(it.position),
                s.shard_id
            )));
        }
        let mut records = Vec::new();
        let mut bytes = 0usize;
        let mut next = it.position;
        for c in s.records.iter().filter(|c| c.seq >= it.position) {
            if records.len() >= limit {
                break;
            }
            let r = s.record(c);
            let size = usize::try_from(r.dynamodb.size_bytes).unwrap_or(usize::MAX);
            if !records.is_empty() && bytes.saturating_add(size) > MAX_BYTES {
                break;
            }
            bytes = bytes.saturating_add(size);
            next = c.seq.saturating_add(1);
            records.push(r);
        }
        let closed_and_read = s.disabled_at.is_some() && next >= s.next_seq;
        Ok(GetRecordsOutput {
            records,
            next_shard_iterator: (!closed_and_read).then(|| {
                ShardIterator {
                    arn: s.arn.clone(),
                    shard_id: s.shard_id.clone(),
                    position: next,
                    issued_at: now,
                }
                .encode()
            }),
        })
    }
}
