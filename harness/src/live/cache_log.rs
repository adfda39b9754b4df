//! The session store's command log: the destructive Redis commands typed at
//! a live shop's ElastiCache primary, for [`super::act`].
//!
//! Redis commands reach the server directly, past the emulator and its
//! audit trail (as on AWS, where CloudTrail records ElastiCache's API but not
//! the commands a client sends). So while `firedrill up` runs, it keeps one
//! `MONITOR` connection open to the store's primary ([`watch`]) and appends
//! every destructive command it sees to `cache-commands.jsonl` beside the
//! history: `FLUSHALL`, `FLUSHDB`, and a `DEL` or `UNLINK` of more than one
//! key. The shop's own traffic deletes one key per command and never
//! flushes, so whatever the log holds was typed by someone else. Instants
//! are the server's wall clock (MONITOR's own timestamps, to the
//! microsecond); `check` maps them to the emulator's clock.
//!
//! The log covers what happened while `up` ran: a flush typed after `up`
//! stopped is not in it (give `check --restore-to` then).

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One destructive command, as MONITOR showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheCommand {
    /// When the server ran it (its wall clock).
    pub wall: DateTime<Utc>,
    /// `FLUSHALL`, `FLUSHDB`, `DEL` or `UNLINK`.
    pub command: String,
    /// Keys named (`DEL`/`UNLINK`); `None` for a flush (every key).
    pub keys: Option<usize>,
    /// The client's address, as the server saw it (`127.0.0.1:51234`).
    pub client: String,
}

/// Splits a MONITOR line, `1339518083.107412 [0 127.0.0.1:60866] "DEL" "a"
/// "b"` (with or without the leading `+` of its status reply), into its
/// instant, client and arguments (pure). `None` for any other line.
pub fn parse_monitor_line(line: &str) -> Option<(DateTime<Utc>, String, Vec<String>)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let line = line.strip_prefix('+').unwrap_or(line);
    let (stamp, rest) = line.split_once(' ')?;
    let (secs, micros) = stamp.split_once('.')?;
    let secs: i64 = secs.parse().ok()?;
    let micros: u32 = micros.parse().ok()?;
    let wall = DateTime::from_timestamp(secs, micros.checked_mul(1000)?)?;
    let rest = rest.strip_prefix('[')?;
    let (who, args) = rest.split_once("] ")?;
    // `0 127.0.0.1:60866`, or `0 lua` for a script's commands.
    let client = who.split_once(' ').map_or(who, |(_, c)| c).to_owned();
    Some((wall, client, quoted_args(args)?))
}

/// MONITOR's arguments: each in double quotes, with `\"`, `\\` and `\xNN`
/// escapes (sdscatrepr's form).
fn quoted_args(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        match chars.next() {
            None => return Some(out),
            Some('"') => {}
            Some(_) => return None,
        }
        let mut arg = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    'x' => {
                        let hex: String = [chars.next()?, chars.next()?].iter().collect();
                        arg.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
                    }
                    'n' => arg.push('\n'),
                    'r' => arg.push('\r'),
                    't' => arg.push('\t'),
                    c => arg.push(c),
                },
                c => arg.push(c),
            }
        }
        out.push(arg);
    }
}

/// The destructive command a MONITOR line shows, if it shows one (pure).
pub fn destructive(line: &str) -> Option<CacheCommand> {
    let (wall, client, args) = parse_monitor_line(line)?;
    let (name, rest) = args.split_first()?;
    let command = name.to_ascii_uppercase();
    let keys = match command.as_str() {
        "FLUSHALL" | "FLUSHDB" => None,
        "DEL" | "UNLINK" if rest.len() > 1 => Some(rest.len()),
        _ => return None,
    };
    Some(CacheCommand {
        wall,
        command,
        keys,
        client,
    })
}

/// Watches the Redis server at `address` with `MONITOR` until the task is
/// dropped, appending each destructive command to `log` (JSON lines). A lost
/// connection is opened again a second later (a restarted server, an
/// outage); a command run while it was down is not seen.
pub async fn watch(address: (String, u16), log: std::path::PathBuf) {
    loop {
        if let Err(e) = watch_once(&address, &log).await {
            tracing::debug!(error = %format!("{e:#}"), "the session store's MONITOR connection ended");
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

async fn watch_once(address: &(String, u16), log: &Path) -> anyhow::Result<()> {
    let stream = tokio::net::TcpStream::connect((address.0.as_str(), address.1))
        .await
        .with_context(|| format!("connecting to {}:{}", address.0, address.1))?;
    let (read, mut write) = stream.into_split();
    write.write_all(b"MONITOR\r\n").await?;
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        if line.starts_with('-') {
            anyhow::bail!("the server refused MONITOR: {line}");
        }
        if let Some(command) = destructive(&line) {
            tracing::info!(command = %command.command, client = %command.client, "a destructive Redis command");
            append(log, &command)?;
        }
    }
    Ok(())
}

fn append(log: &Path, command: &CacheCommand) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    let mut line = serde_json::to_vec(command)?;
    line.push(b'\n');
    file.write_all(&line)
        .with_context(|| format!("cannot append to {}", log.display()))
}

/// The commands `log` holds, oldest first; none when there is no log.
pub fn read(log: &Path) -> anyhow::Result<Vec<CacheCommand>> {
    let text = match std::fs::read_to_string(log) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {}", log.display()))),
    };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        // A line being written as the log is read is cut short: skip it.
        if let Ok(c) = serde_json::from_str::<CacheCommand>(line) {
            out.push(c);
        }
    }
    out.sort_by_key(|c| c.wall);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flushes_and_multi_key_deletes_are_destructive_and_the_traffic_is_not() {
        let flush = destructive(r#"+1765000000.250001 [0 127.0.0.1:60866] "FLUSHALL""#).expect("a flush");
        assert_eq!(flush.command, "FLUSHALL");
        assert_eq!(flush.keys, None);
        assert_eq!(flush.client, "127.0.0.1:60866");
        assert_eq!(
            flush.wall,
            "2025-12-06T05:46:40.250001Z"
                .parse::<DateTime<Utc>>()
                .expect("instant")
        );
        let del = destructive(r#"1765000001.000000 [0 127.0.0.1:1] "del" "sess:a" "sess:b" "sess:c""#)
            .expect("a DEL of three keys");
        assert_eq!((del.command.as_str(), del.keys), ("DEL", Some(3)));
        assert!(destructive(r#"+1765000000.1 [0 127.0.0.1:2] "FLUSHDB" "ASYNC""#).is_some());
        // The shop's own commands: one key at a time.
        for line in [
            r#"+1765000000.100000 [0 127.0.0.1:3] "DEL" "sess:a""#,
            r#"+1765000000.100000 [0 127.0.0.1:3] "SET" "sess:a" "{\"k\":\"v\"}" "EX" "1800""#,
            "+OK",
            "-ERR unknown command",
            "",
        ] {
            assert_eq!(destructive(line), None, "{line}");
        }
    }

    #[test]
    fn quoted_arguments_keep_their_escapes() {
        let (_, client, args) =
            parse_monitor_line(r#"1765000000.000001 [0 lua] "SET" "a \"b\"" "\x00\\""#).expect("a line");
        assert_eq!(client, "lua");
        assert_eq!(args, vec!["SET", "a \"b\"", "\u{0}\\"]);
        assert_eq!(
            parse_monitor_line(r#"1765000000.000001 [0 lua] "unterminated"#),
            None
        );
    }

    #[test]
    fn the_log_is_read_back_in_order_and_a_cut_line_is_skipped() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let log = dir.path().join("cache-commands.jsonl");
        assert!(read(&log).expect("no log yet").is_empty());
        let later = destructive(r#"1765000009.000000 [0 127.0.0.1:1] "FLUSHDB""#).expect("a flush");
        let sooner = destructive(r#"1765000001.000000 [0 127.0.0.1:1] "FLUSHALL""#).expect("a flush");
        append(&log, &later).expect("appended");
        append(&log, &sooner).expect("appended");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"{\"wall\":"))
            .expect("a cut line");
        assert_eq!(read(&log).expect("read"), vec![sooner, later]);
    }
}
