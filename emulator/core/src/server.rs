//! The HTTP front door: one listener, requests dispatched to services by
//! SigV4 scope, the admin API under `/_firedrill/`, panics contained, and a
//! background ticker that lets services act as the clock moves.

use crate::admin;
use crate::config::OutageMode;
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
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
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
    /// Per-region listeners (when opened), closed during that region's outage
    /// in `OutageMode::ConnectionRefused`.
    region_listeners: Mutex<BTreeMap<String, RegionListener>>,
}

/// One region's own endpoint.
#[derive(Debug)]
struct RegionListener {
    addr: SocketAddr,
    handle: Option<ServerHandle>,
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
            region_listeners: Mutex::new(BTreeMap::new()),
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

    /// Ends every outage, then forgets all state in every service and the
    /// audit trail.
    pub async fn reset(self: &Arc<Self>) {
        for region in self.env.outages.list() {
            if let Err(e) = self.set_outage(&region, false).await {
                tracing::warn!(region, error = %e, "could not end an outage on reset");
            }
        }
        let _guard = self.tick_lock.lock().await;
        for service in &self.services {
            service.reset().await;
        }
        self.env.audit.clear();
    }

    /// Starts (`down == true`) or ends an outage of `region`. Services stop
    /// (and later restart) what they run there; in
    /// `OutageMode::ConnectionRefused` the region's own listener closes and
    /// reopens on the same port.
    pub async fn set_outage(self: &Arc<Self>, region: &str, down: bool) -> Result<(), AdminError> {
        if !self.env.config.serves_region(region) {
            return Err(AdminError::UnknownRegion(region.to_owned()));
        }
        if self.env.outages.set(region, down) {
            tracing::info!(region, down, "region outage changed");
            if self.env.config.outage_mode == OutageMode::ConnectionRefused {
                self.set_region_listener(region, !down).await;
            }
            for service in &self.services {
                service.set_region_available(region, !down).await;
            }
        }
        Ok(())
    }

    /// Opens one listener per region on `ip` (ephemeral ports) and returns
    /// their addresses. Requests on them are routed like any other.
    pub async fn open_region_listeners(
        self: &Arc<Self>,
        ip: IpAddr,
    ) -> std::io::Result<BTreeMap<String, SocketAddr>> {
        let mut out = BTreeMap::new();
        for region in self.env.config.regions.clone() {
            let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
            let handle = serve_extra(listener, self.clone())?;
            let addr = handle.local_addr();
            self.region_listeners.lock().await.insert(
                region.clone(),
                RegionListener {
                    addr,
                    handle: Some(handle),
                },
            );
            out.insert(region, addr);
        }
        Ok(out)
    }

    /// The address of `region`'s own listener, when opened.
    pub async fn region_addr(&self, region: &str) -> Option<SocketAddr> {
        self.region_listeners.lock().await.get(region).map(|l| l.addr)
    }

    async fn set_region_listener(self: &Arc<Self>, region: &str, open: bool) {
        let mut listeners = self.region_listeners.lock().await;
        let Some(listener) = listeners.get_mut(region) else {
            return;
        };
        if open {
            if listener.handle.is_none() {
                match TcpListener::bind(listener.addr)
                    .await
                    .and_then(|l| serve_extra(l, self.clone()))
                {
                    Ok(handle) => listener.handle = Some(handle),
                    Err(e) => {
                        tracing::error!(region, addr = %listener.addr, error = %e, "could not reopen the region's listener")
                    }
                }
            }
        } else if let Some(handle) = listener.handle.take() {
            handle.abort().await;
        }
    }

    /// Closes every per-region listener.
    pub async fn close_region_listeners(&self) {
        let handles: Vec<ServerHandle> = self
            .region_listeners
            .lock()
            .await
            .values_mut()
            .filter_map(|l| l.handle.take())
            .collect();
        for handle in handles {
            handle.stop().await;
        }
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

/// How a listener is asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopKind {
    /// Keep serving.
    Running,
    /// Stop accepting; let in-flight requests finish.
    Graceful,
    /// Stop accepting and drop every open connection now, as a dead host does.
    Abort,
}

/// A running listener.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<StopKind>,
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
        let _ = self.stop.send(StopKind::Graceful);
        for task in self.tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
    }

    /// Stops accepting and drops every open connection at once: clients see
    /// connections reset and then refused, as with a dead region.
    pub async fn abort(self) {
        let _ = self.stop.send(StopKind::Abort);
        for task in self.tasks {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
    }
}

/// Serves `dispatcher` on `listener` until stopped, with a background ticker.
pub fn serve(listener: TcpListener, dispatcher: Arc<Dispatcher>) -> std::io::Result<ServerHandle> {
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(StopKind::Running);
    let accept = tokio::spawn(accept_loop(listener, dispatcher.clone(), stop_rx.clone()));
    let ticker = tokio::spawn(tick_loop(dispatcher, stop_rx));
    Ok(ServerHandle {
        addr,
        stop,
        tasks: vec![accept, ticker],
    })
}

/// Serves `dispatcher` on one more listener, without a ticker of its own
/// (for per-region endpoints).
fn serve_extra(listener: TcpListener, dispatcher: Arc<Dispatcher>) -> std::io::Result<ServerHandle> {
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(StopKind::Running);
    let accept = tokio::spawn(accept_loop(listener, dispatcher, stop_rx));
    Ok(ServerHandle {
        addr,
        stop,
        tasks: vec![accept],
    })
}

/// Resolves when `stop` asks for an abort.
async fn aborted(mut stop: watch::Receiver<StopKind>) {
    loop {
        if *stop.borrow_and_update() == StopKind::Abort {
            return;
        }
        if stop.changed().await.is_err() {
            // The handle is gone without an abort: keep the connection.
            std::future::pending::<()>().await;
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    dispatcher: Arc<Dispatcher>,
    mut stop: watch::Receiver<StopKind>,
) {
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
                let abort = aborted(stop.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        result = conn => {
                            if let Err(e) = result {
                                tracing::debug!(error = %e, "connection ended with an error");
                            }
                        }
                        () = abort => tracing::debug!("connection dropped by an abort"),
                    }
                });
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() != StopKind::Running {
                    break;
                }
            }
        }
    }
    close_listener(listener);
    if *stop.borrow() != StopKind::Abort {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
    }
}

/// Stops listening now. Closing the descriptor is not enough: a child
/// process forked by another thread (PostgreSQL, initdb, the janitor) holds
/// a copy of every descriptor until it execs, and the port would keep
/// accepting for those milliseconds. `shutdown` ends the listening socket
/// itself, so connections are refused at once, as from a dead host.
fn close_listener(listener: TcpListener) {
    if let Err(e) = socket2::SockRef::from(&listener).shutdown(std::net::Shutdown::Both) {
        tracing::debug!(error = %e, "shutdown of the listening socket failed; closing it");
    }
    drop(listener);
}

async fn tick_loop(dispatcher: Arc<Dispatcher>, mut stop: watch::Receiver<StopKind>) {
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
