//! One emulated service in-process, called without a listener: the service's
//! own `AwsService::handle` on a built `http::Request`, so that a panic in a
//! decoder reaches the fuzzer instead of the server's panic guard.
//!
//! The environment is the tests' one (default config, a simulated clock, a
//! temporary data directory, S3 bodies in memory). [`Harness::tick`] moves
//! the clock a day on and runs the service's background tick, so that a
//! value accepted by a request and stored is also exercised by the tick.

use bytes::Bytes;
use firedrill_emu_core::config::EmulatorConfig;
use firedrill_emu_core::{AwsService, Body, Clock, Environment, RequestContext};
use http_body_util::BodyExt;
use std::sync::Arc;

/// Builds the service under test in an environment.
pub type Make = fn(&Environment) -> Arc<dyn AwsService>;

/// An answer: its status and body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// The outcome class: status, AWS error code and the start of the
    /// message with digits and echoed values cut away (see the README: this
    /// is the coverage proxy).
    pub fn signature(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let (code, message) = error_fields(&text);
        format!("{} {} {}", self.status, code, message_class(&message))
    }
}

/// The code and message of a JSON or XML error body (empty when none).
fn error_fields(text: &str) -> (String, String) {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| v.get(*n).and_then(|x| x.as_str()))
                .unwrap_or_default()
                .to_owned()
        };
        let code = field(&["__type", "code", "Code"]);
        let code = code.rsplit('#').next().unwrap_or_default().to_owned();
        return (code, field(&["message", "Message"]));
    }
    (
        xml_element(text, "Code").unwrap_or_default().to_owned(),
        xml_element(text, "Message").unwrap_or_default().to_owned(),
    )
}

fn xml_element<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find('<')? + start;
    Some(&text[start..end])
}

/// A message up to the first echoed value (a quote or bracket), with every
/// word that is not plain letters (an unquoted echo: an identifier, a
/// number, junk) folded to `*`, at most eight words.
pub fn message_class(message: &str) -> String {
    let cut = message.find(['"', '\'', '[', '{']).unwrap_or(message.len());
    message[..cut]
        .split_whitespace()
        .take(8)
        .map(|word| {
            let bare = word
                .trim_end_matches(['.', ',', ';', ':', ')'])
                .trim_start_matches('(');
            if bare.chars().all(|c| c.is_ascii_alphabetic()) {
                word
            } else {
                "*"
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A service in-process with its runtime and data directory.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    signing_name: &'static str,
    make: Make,
    env: Environment,
    service: Arc<dyn AwsService>,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("signing_name", &self.signing_name)
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// A fresh service named `signing_name` built by `make`.
    pub fn new(signing_name: &'static str, make: Make) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread tokio runtime");
        let (env, dir, service) = Self::fresh(&rt, make);
        Self {
            rt,
            signing_name,
            make,
            env,
            service,
            _dir: dir,
        }
    }

    fn fresh(
        rt: &tokio::runtime::Runtime,
        make: Make,
    ) -> (Environment, tempfile::TempDir, Arc<dyn AwsService>) {
        let dir = tempfile::Builder::new()
            .prefix("firedrill-fuzz-")
            .tempdir()
            .expect("a temporary data directory");
        let config = EmulatorConfig {
            in_memory_bodies: true,
            ..EmulatorConfig::default()
        };
        let clock = Clock::simulated("2026-03-14T12:00:00Z".parse().expect("a valid instant"));
        let env = Environment::new(config, clock, dir.path().to_path_buf());
        let service = {
            let _guard = rt.enter();
            make(&env)
        };
        (env, dir, service)
    }

    /// Throws the service and its state away and builds a new one.
    pub fn rebuild(&mut self) {
        let old = std::mem::replace(&mut self.service, {
            let (env, dir, service) = Self::fresh(&self.rt, self.make);
            self.env = env;
            self._dir = dir;
            service
        });
        self.rt.block_on(old.shutdown());
    }

    /// Sends one request to the service and reads the whole answer.
    pub fn call(&self, req: http::Request<Body>) -> Reply {
        let ctx = RequestContext {
            service: self.signing_name.to_owned(),
            region: "us-east-1".to_owned(),
            access_key_id: Some("AKIDFUZZEXAMPLE".to_owned()),
            caller: firedrill_emu_core::accounts::Caller::user(
                self.env.account_id(),
                "AKIDFUZZEXAMPLE",
                "AKIDFUZZEXAMPLE",
            ),
            request_id: "fuzz-request".to_owned(),
            env: self.env.clone(),
        };
        self.rt.block_on(async {
            let resp = self.service.handle(ctx, req).await;
            let status = resp.status().as_u16();
            let body = match resp.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => Bytes::from(format!("body error: {e}")),
            };
            Reply { status, body }
        })
    }

    /// Builds and sends a request, with a `Content-Length` as hyper would
    /// set it.
    pub fn send(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
        let mut b = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(http::header::CONTENT_LENGTH, body.len());
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        match b.body(Body::from(body)) {
            Ok(req) => self.call(req),
            Err(e) => Reply {
                status: 0,
                body: Bytes::from(format!("unbuildable request: {e}")),
            },
        }
    }

    /// Moves the simulated clock a day on and runs the background tick.
    pub fn tick(&self) {
        if let Ok(now) = self.env.clock.advance(chrono::Duration::days(1)) {
            self.rt.block_on(self.service.tick(now));
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.rt.block_on(self.service.shutdown());
    }
}

/// Splits `ROUTE\nBODY` inputs: the first line names the route, the rest is
/// the body.
pub fn split_route(input: &[u8]) -> (String, &[u8]) {
    match input.iter().position(|b| *b == b'\n') {
        Some(i) => (
            String::from_utf8_lossy(&input[..i]).trim().to_owned(),
            &input[i + 1..],
        ),
        None => (String::from_utf8_lossy(input).trim().to_owned(), &[][..]),
    }
}

/// The route named `key`, or (for a mangled name) one chosen by its hash,
/// so that every input reaches some route.
pub fn pick<'a, T>(routes: &'a [(&'static str, T)], key: &str) -> &'a (&'static str, T) {
    routes
        .iter()
        .find(|(name, _)| *name == key)
        .unwrap_or_else(|| &routes[(fnv(key.as_bytes()) % routes.len() as u64) as usize])
}

/// FNV-1a, for crash file names and route choice.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_classed_without_echoed_values() {
        assert_eq!(message_class("Value 12345 at 'port' failed"), "Value * at");
    }

    #[test]
    fn routes_are_split_from_bodies() {
        let (key, body) = split_route(b"PutItem\n{}");
        assert_eq!((key.as_str(), body), ("PutItem", &b"{}"[..]));
    }

    #[test]
    fn error_codes_are_read_from_json_and_xml() {
        let json = Reply {
            status: 400,
            body: Bytes::from_static(
                b"{\"__type\":\"com.amazon#ValidationException\",\"message\":\"bad: x\"}",
            ),
        };
        assert_eq!(json.signature(), "400 ValidationException bad: x");
        let xml = Reply {
            status: 400,
            body: Bytes::from_static(b"<Error><Code>MalformedXML</Code><Message>no</Message></Error>"),
        };
        assert_eq!(xml.signature(), "400 MalformedXML no");
    }
}
