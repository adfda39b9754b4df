//! The HTTP front door: one listener, requests dispatched to services by
//! SigV4 scope, the admin API under `/_firedrill/`, panics contained, and a
//! background ticker that lets services act as the clock moves.

use crate::admin;
use crate::error;
use crate::ids;
use crate::routing;
use crate::service::{AwsService, Body, Environment, RequestContext};
use crate::sigv4;
use chrono::{DateTime, Duration, Utc};
use futures::FutureExt;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

/// How often services are ticked in real time, besides every clock jump.
const TICK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// Why an admin action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The clock could not move.
    #[error(transparent)]
    Clock(#[from] crate::clock::ClockError),
    /// The region is not one the emulator serves.
    #[error("region {0:?} is not served by this emulator")]
    UnknownRegion(String),
}

/// Routes requests to services and owns the operations that touch them all.
pub struct Dispatcher {
    env: Environment,
    services: Vec<Arc<dyn AwsService>>,
    tick_lock: Mutex<()>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("services", &self.service_names())
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher over `services`, sharing `env`.
    pub fn new(env: Environment, services: Vec<Arc<dyn AwsService>>) -> Arc<Self> {
        Arc::new(Self {
            env,
            services,
            tick_lock: Mutex::new(()),
        })
    }

    /// The shared environment.
    pub fn env(&self) -> &Environment {
        &self.env
    }

    /// The signing names of every service served.
    pub fn service_names(&self) -> Vec<&'static str> {
        self.services
            .iter()
            .flat_map(|s| s.signing_names().iter().copied())
            .collect()
    }

    fn service_for(&self, name: &str) -> Option<&Arc<dyn AwsService>> {
        self.services.iter().find(|s| s.signing_names().contains(&name))
    }

    /// Lets every service act on the current time. Ticks never overlap.
    pub async fn tick(&self) {
        let _guard = self.tick_lock.lock().await;
        let now = self.env.clock.now();
        for service in &self.services {
            if let Err(panic) = AssertUnwindSafe(service.tick(now)).catch_unwind().await {
                tracing::error!(services = ?service.signing_names(), panic = ?panic_message(&panic), "service tick panicked");
            }
        }
    }

    /// Advances a simulated clock by `by`, then lets every service act on the
    /// elapsed time before returning the new instant.
    pub async fn advance_clock(&self, by: Duration) -> Result<DateTime<Utc>, AdminError> {
        let now = self.env.clock.advance(by)?;
        self.tick().await;
        Ok(now)
    }

    /// Forgets all state in every service and the audit trail.
    pub async fn reset(&self) {
        let _guard = self.tick_lock.lock().await;
        for service in &self.services {
            service.reset().await;
        }
        self.env.audit.clear();
        for region in self.env.outages.list() {
            self.env.outages.set(&region, false);
        }
    }

    /// Starts (`down == true`) or ends an outage of `region`.
    pub async fn set_outage(&self, region: &str, down: bool) -> Result<(), AdminError> {
        if !self.env.config.serves_region(region) {
            return Err(AdminError::UnknownRegion(region.to_owned()));
        }
        if self.env.outages.set(region, down) {
            tracing::info!(region, down, "region outage changed");
            for service in &self.services {
                service.set_region_available(region, !down).await;
            }
        }
        Ok(())
    }

    /// Releases every service's processes and files.
    pub async fn shutdown_services(&self) {
        for service in &self.services {
            service.shutdown().await;
        }
    }

    /// Answers one request.
    pub async fn dispatch(self: &Arc<Self>, req: Request<Body>) -> Response<Body> {
        let path = req.uri().path().to_owned();
        if path.starts_with(admin::PREFIX) {
            return admin::handle(self, req).await;
        }
        let request_id = ids::request_id();
        let route = routing::route(
            req.headers(),
            &path,
            req.uri().query(),
            self.env.config.default_region(),
        );
        let Some(service) = self.service_for(&route.service).cloned() else {
            return error::unknown_service(&route.service, &route.region, &request_id);
        };
        if !self.env.config.serves_region(&route.region) {
            return error::unknown_service(&route.service, &route.region, &request_id);
        }
        if self.env.outages.is_down(&route.region) {
            return error::service_unavailable(&route.service, &route.region, &request_id);
        }
        let req = match self.check_signature(&route.service, req).await {
            Ok(req) => req,
            Err(resp) => return resp,
        };
        let ctx = RequestContext {
            service: route.service.clone(),
            region: route.region.clone(),
            access_key_id: route.access_key_id.clone(),
            request_id: request_id.clone(),
            env: self.env.clone(),
        };
        match AssertUnwindSafe(service.handle(ctx, req)).catch_unwind().await {
            Ok(resp) => resp,
            Err(panic) => {
                tracing::error!(service = %route.service, panic = ?panic_message(&panic), "request handler panicked");
                internal_error(&route.service, &request_id)
            }
        }
    }

    /// In strict mode, verifies the SigV4 signature (buffering small bodies
    /// to hash them); otherwise passes the request through.
    async fn check_signature(
        &self,
        service: &str,
        req: Request<Body>,
    ) -> Result<Request<Body>, Response<Body>> {
        let Some(strict) = &self.env.config.strict else {
            return Ok(req);
        };
        let request_id = ids::request_id();
        let (parts, body) = req.into_parts();
        let (body, payload_hash) = match parts
            .headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok())
        {
            Some(hash) => (body, hash.to_owned()),
            None => {
                let bytes = crate::body::collect(body, crate::body::MAX_BUFFERED_BODY)
                    .await
                    .map_err(|e| {
                        error::s3_xml(
                            StatusCode::BAD_REQUEST,
                            "IncompleteBody",
                            &e.to_string(),
                            &request_id,
                        )
                    })?;
                let hash = sigv4::payload_hash(&bytes);
                (Body::from(bytes), hash)
            }
        };
        let signed = sigv4::SignedRequest {
            method: &parts.method,
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            payload_hash: &payload_hash,
        };
        match sigv4::verify(&signed, &strict.access_key_id, &strict.secret_access_key) {
            Ok(()) => Ok(Request::from_parts(parts, body)),
            Err(e) => Err(signature_error(service, &e, &request_id)),
        }
    }
}

fn signature_error(service: &str, err: &sigv4::SignatureError, request_id: &str) -> Response<Body> {
    use sigv4::SignatureError as E;
    let message = err.to_string();
    match (service, err) {
        ("s3", E::UnknownAccessKey) => {
            error::s3_xml(StatusCode::FORBIDDEN, "InvalidAccessKeyId", &message, request_id)
        }
        ("s3", E::Missing) => error::s3_xml(StatusCode::FORBIDDEN, "AccessDenied", &message, request_id),
        ("s3", E::Mismatch) => error::s3_xml(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            &message,
            request_id,
        ),
        ("dynamodb", E::UnknownAccessKey) => error::json_1_0(
            StatusCode::BAD_REQUEST,
            "com.amazon.coral.service",
            "UnrecognizedClientException",
            &message,
            request_id,
        ),
        ("dynamodb", E::Missing) => error::json_1_0(
            StatusCode::BAD_REQUEST,
            "com.amazon.coral.service",
            "MissingAuthenticationTokenException",
            &message,
            request_id,
        ),
        ("dynamodb", E::Mismatch) => error::json_1_0(
            StatusCode::BAD_REQUEST,
            "com.amazon.coral.service",
            "InvalidSignatureException",
            &message,
            request_id,
        ),
        ("rds", E::UnknownAccessKey) => error::query_xml(
            StatusCode::FORBIDDEN,
            "InvalidClientTokenId",
            &message,
            request_id,
        ),
        ("rds", E::Missing) => error::query_xml(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationToken",
            &message,
            request_id,
        ),
        ("rds", E::Mismatch) => error::query_xml(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            &message,
            request_id,
        ),
        (_, E::UnknownAccessKey) => error::rest_json(
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            &message,
            request_id,
        ),
        (_, E::Missing) => error::rest_json(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            &message,
            request_id,
        ),
        (_, E::Mismatch) => error::rest_json(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            &message,
            request_id,
        ),
    }
}

fn internal_error(service: &str, request_id: &str) -> Response<Body> {
    let message = "We encountered an internal error. Please try again.";
    match service {
        "dynamodb" => error::json_1_0(
            StatusCode::INTERNAL_SERVER_ERROR,
            "com.amazonaws.dynamodb.v20120810",
            "InternalServerError",
            message,
            request_id,
        ),
        "rds" => error::query_xml(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            message,
            request_id,
        ),
        "s3" => error::s3_xml(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            message,
            request_id,
        ),
        _ => error::rest_json(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceUnavailableException",
            message,
            request_id,
        ),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".to_owned())
}

/// A running listener.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl ServerHandle {
    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets in-flight requests finish (up to a few seconds)
    /// and stops the ticker.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
    }
}

/// Serves `dispatcher` on `listener` until stopped, with a background ticker.
pub fn serve(listener: TcpListener, dispatcher: Arc<Dispatcher>) -> std::io::Result<ServerHandle> {
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);
    let accept = tokio::spawn(accept_loop(listener, dispatcher.clone(), stop_rx.clone()));
    let ticker = tokio::spawn(tick_loop(dispatcher, stop_rx));
    Ok(ServerHandle {
        addr,
        stop,
        tasks: vec![accept, ticker],
    })
}

async fn accept_loop(listener: TcpListener, dispatcher: Arc<Dispatcher>, mut stop: watch::Receiver<bool>) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let dispatcher = dispatcher.clone();
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let dispatcher = dispatcher.clone();
                    async move {
                        let req = req.map(Body::new);
                        Ok::<_, std::convert::Infallible>(dispatcher.dispatch(req).await)
                    }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
}

async fn tick_loop(dispatcher: Arc<Dispatcher>, mut stop: watch::Receiver<bool>) {
    let mut jumps = dispatcher.env().clock.subscribe();
    let mut interval = tokio::time::interval(TICK_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = interval.tick() => dispatcher.tick().await,
            changed = jumps.changed() => {
                if changed.is_err() { break; }
                dispatcher.tick().await;
            }
            _ = stop.changed() => break,
        }
    }
}
