//! The HTTP front door: one listener, requests dispatched to services by
//! SigV4 scope, the admin API under `/_firedrill/`, panics contained, and a
//! background ticker that lets services act as the clock moves. A method
//! the request's protocol never uses is answered by [`methods`] before any
//! service sees it.
//!
//! Each account of the emulator has its own set of services
//! ([`AccountServices`]); a request goes to the set of the account its
//! signing key acts in ([`crate::accounts`]), and the operations that touch
//! every service (ticks, reset, outages, shutdown) touch every account's.
//!
//! Every connection passes the [`transport::gate`] on its way to hyper and
//! holds one of `max_connections` [`transport::slots`] (a connection beyond
//! them reclaims an idle one or waits, and is answered
//! [`transport::refuse_busy`] only if none frees in time); every request body is watched ([`transport::watch`]) and a
//! body the watch refused is answered with the refusal, whatever the
//! handler made of it.

use crate::accounts;
use crate::admin;
use crate::audit;
use crate::config::OutageMode;
use crate::error;
use crate::ids;
use crate::methods;
use crate::protocol::Protocol;
use crate::routing;
use crate::service::{AwsService, Body, Environment, RequestContext};
use crate::sigv4;
use crate::transport::{
    self,
    gate::{Gate, GateLimits},
    head,
    slots::{Slot, Slots},
    watch::{self as body_watch, BodyFault, Verdict},
};
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

/// One account's services, built over that account's environment.
pub struct AccountServices {
    /// The account's environment ([`Environment::for_account`]).
    pub env: Environment,
    /// Its services.
    pub services: Vec<Arc<dyn AwsService>>,
}

impl AccountServices {
    fn service_for(&self, name: &str) -> Option<&Arc<dyn AwsService>> {
        self.services.iter().find(|s| s.signing_names().contains(&name))
    }
}

/// Routes requests to services and owns the operations that touch them all.
pub struct Dispatcher {
    env: Environment,
    /// The default account's services.
    default_account: AccountServices,
    /// The other accounts' services.
    other_accounts: Vec<AccountServices>,
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
    /// A dispatcher over one account's `services`, sharing `env`.
    pub fn new(env: Environment, services: Vec<Arc<dyn AwsService>>) -> Arc<Self> {
        Self::with_accounts(AccountServices { env, services }, Vec::new())
    }

    /// A dispatcher over the default account's services and `others`'
    /// (one set per account, each built over its own environment).
    pub fn with_accounts(default: AccountServices, others: Vec<AccountServices>) -> Arc<Self> {
        let env = default.env.clone();
        Arc::new(Self {
            env,
            default_account: default,
            other_accounts: others,
            tick_lock: Mutex::new(()),
            region_listeners: Mutex::new(BTreeMap::new()),
        })
    }

    /// The default account's environment (what every account shares, and
    /// the default account id).
    pub fn env(&self) -> &Environment {
        &self.env
    }

    /// The accounts served, the default first.
    pub fn account_ids(&self) -> Vec<String> {
        self.accounts().map(|a| a.env.account_id().to_owned()).collect()
    }

    /// The environment of `account_id`, if it is served.
    pub fn account_env(&self, account_id: &str) -> Option<&Environment> {
        self.accounts()
            .find(|a| a.env.account_id() == account_id)
            .map(|a| &a.env)
    }

    /// The signing names of every service served.
    pub fn service_names(&self) -> Vec<&'static str> {
        self.default_account
            .services
            .iter()
            .flat_map(|s| s.signing_names().iter().copied())
            .collect()
    }

    /// The services of `account_id`, or the default account's when it is
    /// not served.
    fn account(&self, account_id: &str) -> &AccountServices {
        self.accounts()
            .find(|a| a.env.account_id() == account_id)
            .unwrap_or(&self.default_account)
    }

    /// Every account's services, the default account's first.
    fn accounts(&self) -> impl Iterator<Item = &AccountServices> {
        std::iter::once(&self.default_account).chain(self.other_accounts.iter())
    }

    /// Every service of every account.
    fn all_services(&self) -> impl Iterator<Item = &Arc<dyn AwsService>> {
        self.accounts().flat_map(|a| a.services.iter())
    }

    /// The first service's answer to an admin request the core does not
    /// answer itself (see [`AwsService::admin`]).
    pub fn service_admin(
        &self,
        method: &http::Method,
        path: &[&str],
        query: Option<&str>,
    ) -> Option<Response<Body>> {
        self.all_services().find_map(|s| s.admin(method, path, query))
    }

    /// Lets every service act on the current time. Ticks never overlap.
    pub async fn tick(&self) {
        let _guard = self.tick_lock.lock().await;
        let now = self.env.clock.now();
        for service in self.all_services() {
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
        for service in self.all_services() {
            service.reset().await;
        }
        self.env.credentials.clear_temporary();
        self.env.audit.clear();
        self.env.timings.clear();
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
            // An outage is a destructive act a recovery story starts from.
            self.env.audit.record(crate::audit::AuditEvent {
                event_time: self.env.clock.now(),
                event_source: "firedrill".to_owned(),
                event_name: if down {
                    "StartRegionOutage"
                } else {
                    "EndRegionOutage"
                }
                .to_owned(),
                region: region.to_owned(),
                principal: "firedrill".to_owned(),
                resource: region.to_owned(),
                result: "Success".to_owned(),
            });
            if self.env.config.outage_mode == OutageMode::ConnectionRefused {
                self.set_region_listener(region, !down).await;
            }
            for service in self.all_services() {
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
        for service in self.all_services() {
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
            req.method().as_str(),
            req.headers(),
            &path,
            req.uri().query(),
            self.env.config.default_region(),
        );
        let protocol = route.protocol;
        let token = accounts::session_token(req.headers(), req.uri().query());
        let caller = match self.env.credentials.identify(
            route.access_key_id.as_deref(),
            token.as_deref(),
            self.env.clock.now(),
        ) {
            Ok(caller) => caller,
            Err(e) => return e.answer(protocol, &request_id),
        };
        let account = self.account(&caller.account_id);
        let Some(service) = account.service_for(&route.service).cloned() else {
            return error::unknown_service(
                protocol,
                &route.service,
                &route.region,
                &self.service_names(),
                &request_id,
            );
        };
        if !self.env.config.serves_region(&route.region) {
            return error::unknown_service(
                protocol,
                &route.service,
                &route.region,
                &self.service_names(),
                &request_id,
            );
        }
        if self.env.outages.is_down(&route.region) {
            return error::service_unavailable(protocol, &route.service, &route.region, &request_id);
        }
        if let Some(resp) = methods::answer(
            protocol,
            req.method(),
            &path,
            req.headers(),
            &route.region,
            &request_id,
        ) {
            return resp;
        }
        let (req, verdict) = match self.watch_body(protocol, req, &request_id) {
            Ok(watched) => watched,
            Err(resp) => return resp,
        };
        let req = match self
            .check_signature(
                protocol,
                req,
                caller.access_key_id.as_deref(),
                &verdict,
                &request_id,
            )
            .await
        {
            Ok(req) => req,
            Err(resp) => return resp,
        };
        let identity = audit::RequestIdentity {
            caller: caller.clone(),
            request_id: request_id.clone(),
            source_ip: req.extensions().get::<audit::SourceIp>().map(|ip| ip.0),
            user_agent: req
                .headers()
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        let ctx = RequestContext {
            service: route.service.clone(),
            region: route.region.clone(),
            access_key_id: route.access_key_id.clone(),
            caller,
            request_id: request_id.clone(),
            env: account.env.clone(),
        };
        let handled = audit::scope(identity, service.handle(ctx, req));
        let resp = match AssertUnwindSafe(handled).catch_unwind().await {
            Ok(resp) => resp,
            Err(panic) => {
                tracing::error!(service = %route.service, panic = ?panic_message(&panic), "request handler panicked");
                error::internal(protocol, &request_id)
            }
        };
        match verdict.take() {
            // The body was refused under the handler: AWS's answer is the
            // refusal, whatever the handler made of the broken body.
            Some(fault) => fault.answer(protocol, &request_id),
            None => resp,
        }
    }

    /// Puts the request body under watch ([`body_watch`]), refusing at
    /// once a declared length past the protocol's limit and, on S3, an
    /// `X-Amz-Content-SHA256` that is neither a digest nor one of its forms.
    #[allow(clippy::result_large_err)]
    fn watch_body(
        &self,
        protocol: Protocol,
        req: Request<Body>,
        request_id: &str,
    ) -> Result<(Request<Body>, Verdict), Response<Body>> {
        let limits = &self.env.config.transport;
        let max_bytes = body_watch::max_body(protocol);
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(size) = declared.filter(|n| *n > max_bytes) {
            let fault = BodyFault::TooLarge {
                limit: max_bytes,
                size,
            };
            return Err(fault.answer(protocol, request_id));
        }
        let mut sha256 = None;
        if protocol == Protocol::RestXml
            && let Some(value) = req.headers().get("x-amz-content-sha256")
        {
            let text = value.to_str().unwrap_or_default();
            match body_watch::content_sha256(text) {
                body_watch::DeclaredPayload::Undigested => {}
                body_watch::DeclaredPayload::Digest(digest) => sha256 = Some(digest),
                body_watch::DeclaredPayload::Invalid => {
                    return Err(error::s3_xml(
                        StatusCode::BAD_REQUEST,
                        "InvalidArgument",
                        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                        request_id,
                    ));
                }
            }
        }
        let verdict = Verdict::default();
        let watch = body_watch::Watch {
            idle_timeout: limits.body_idle_timeout,
            max_bytes,
            sha256,
        };
        let req = req.map(|body| Body::new(body_watch::Watched::new(body, watch, verdict.clone())));
        Ok((req, verdict))
    }

    /// In strict mode, verifies the SigV4 signature, from the
    /// `Authorization` header or a presigned URL's query (buffering small
    /// bodies to hash them), with the secret of the key that signed: the
    /// strict credentials', a temporary key's or a mapped account key's;
    /// otherwise passes the request through.
    async fn check_signature(
        &self,
        protocol: Protocol,
        req: Request<Body>,
        access_key_id: Option<&str>,
        verdict: &Verdict,
        request_id: &str,
    ) -> Result<Request<Body>, Response<Body>> {
        let Some(strict) = &self.env.config.strict else {
            return Ok(req);
        };
        let (parts, body) = req.into_parts();
        let presigned = sigv4::presigned::is_presigned(parts.uri.query());
        let (body, payload_hash) = match parts
            .headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok())
        {
            Some(hash) => (body, hash.to_owned()),
            // S3 signs a presigned URL's payload as unsigned: its body is
            // not known when the URL is made.
            None if presigned && protocol == Protocol::RestXml => {
                (body, sigv4::presigned::UNSIGNED_PAYLOAD.to_owned())
            }
            None => {
                let limit = usize::try_from(body_watch::max_body(protocol)).unwrap_or(usize::MAX);
                let bytes = crate::body::collect(body, limit)
                    .await
                    .map_err(|e| match verdict.take() {
                        Some(fault) => fault.answer(protocol, request_id),
                        None => {
                            let fault = head::Fault::Malformed(e.to_string());
                            let (status, code, message) = fault.answer(protocol);
                            protocol.error(status, code, &message, request_id)
                        }
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
        let now = sigv4::signing_now(&self.env.clock);
        let known = access_key_id
            .filter(|key| *key != strict.access_key_id)
            .and_then(|key| Some((key.to_owned(), self.env.credentials.secret_of(key)?)));
        let (key, secret) =
            known.unwrap_or_else(|| (strict.access_key_id.clone(), strict.secret_access_key.clone()));
        let verified = if presigned {
            sigv4::presigned::verify(&signed, &key, &secret, now)
        } else {
            sigv4::verify(&signed, &key, &secret, now)
        };
        match verified {
            Ok(()) => Ok(Request::from_parts(parts, body)),
            Err(e) => Err(e.answer(protocol, request_id)),
        }
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
    let limits = dispatcher.env().config.transport.clone();
    let slots = Slots::new(limits.max_connections);
    loop {
        // A place among the connections waiting for a slot is taken before
        // accepting: when they are all taken, clients wait in the backlog.
        let Some(Some(place)) = until_stopped(&mut stop, slots.place()).await else {
            break;
        };
        let Some(accepted) = until_stopped(&mut stop, listener.accept()).await else {
            break;
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            dispatcher: dispatcher.clone(),
            watcher: graceful.watcher(),
            abort: stop.clone(),
        };
        match slots.try_take() {
            Some(slot) => {
                drop(place);
                tokio::spawn(connection.serve(stream, slot));
            }
            None => {
                tracing::debug!(max = limits.max_connections, "a connection waits for a slot");
                let slots = slots.clone();
                let limits = limits.clone();
                tokio::spawn(async move {
                    let deadline = tokio::time::Instant::now() + limits.header_read_timeout;
                    let slot = slots.wait(&place, deadline).await;
                    drop(place);
                    match slot {
                        Some(slot) => connection.serve(stream, slot).await,
                        None => {
                            tracing::debug!(
                                max = limits.max_connections,
                                "connection beyond the limit refused"
                            );
                            transport::refuse_busy(stream, limits).await;
                        }
                    }
                });
            }
        }
    }
    close_listener(listener);
    if *stop.borrow() != StopKind::Abort {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
    }
}

/// Runs `work` to its end, unless `stop` asks the listener to stop first.
async fn until_stopped<T>(
    stop: &mut watch::Receiver<StopKind>,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return Some(out),
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() != StopKind::Running {
                    return None;
                }
            }
        }
    }
}

/// What serving one connection needs.
struct Connection {
    dispatcher: Arc<Dispatcher>,
    watcher: hyper_util::server::graceful::Watcher,
    abort: watch::Receiver<StopKind>,
}

impl Connection {
    /// Serves `stream` through its gate until it ends, holding `slot`.
    async fn serve(self, stream: tokio::net::TcpStream, slot: Slot) {
        let limits = &self.dispatcher.env().config.transport;
        let gate_limits = GateLimits {
            header_read_timeout: limits.header_read_timeout,
            keep_alive_timeout: limits.keep_alive_timeout,
            max_header_bytes: limits.max_header_bytes,
        };
        let activity = slot.activity().clone();
        let dispatcher = self.dispatcher.clone();
        let requests = activity.clone();
        let peer = stream.peer_addr().ok().map(|a| audit::SourceIp(a.ip()));
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let dispatcher = dispatcher.clone();
            let in_flight = requests.begin();
            async move {
                let mut req = req.map(Body::new);
                if let Some(peer) = peer {
                    req.extensions_mut().insert(peer);
                }
                let resp = dispatcher.dispatch(req).await;
                let resp = resp.map(|body| Body::new(transport::Guarded::new(body, in_flight)));
                Ok::<_, std::convert::Infallible>(resp)
            }
        });
        let gate = Gate::new(stream, gate_limits, activity, transport::refuse_head);
        let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        let conn = builder.serve_connection(TokioIo::new(gate), service).into_owned();
        let conn = self.watcher.watch(conn);
        tokio::select! {
            result = conn => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            () = aborted(self.abort) => tracing::debug!("connection dropped by an abort"),
        }
        drop(slot);
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
