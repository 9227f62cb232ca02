//! Accepting connections so that slow or idle clients cannot take the server: each connection
//! has a deadline for its request headers (hyper's header timer, which also closes idle
//! keep-alive connections), request bodies have their own deadline (see `words::Body`), the
//! number of open connections is capped with a JSON refusal past the cap, and a shutdown closes
//! idle connections at once and gives the ones mid-request a short grace before dropping them.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// How connections are accepted, held and closed.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Connections open at once; past this a client is answered 503 and disconnected.
    pub max_open: usize,
    /// Longest a client may take to send a request's headers, and longest an idle keep-alive
    /// connection stays open.
    pub header_read: Duration,
    /// Longest a client may take to send a request's body, from its first byte.
    pub body_read: Duration,
    /// How long a shutdown waits for requests in flight before closing their connections.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            max_open: 1024,
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(1),
        }
    }
}

/// File descriptors the process keeps for itself (files, the model, the listener) beyond the
/// connections.
const RESERVED_DESCRIPTORS: u64 = 64;

impl ConnectionLimits {
    /// The cap actually used: the configured one, lowered to fit the open-file limit so that the
    /// refusal, not a failing `accept`, is what a client past the cap meets.
    pub fn effective_max_open(&self) -> usize {
        let fits = open_file_limit().map_or(usize::MAX, |limit| {
            usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS).max(1)).unwrap_or(usize::MAX)
        });
        self.max_open.clamp(1, fits.max(1))
    }
}

/// The soft limit on open files, where the platform has one.
fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit only writes the struct it is given.
        let status = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        if status == 0 && limit.rlim_cur != libc::RLIM_INFINITY {
            // rlim_t is u64 on the platforms we build for but not on every Unix.
            #[allow(clippy::unnecessary_cast)]
            return Some(limit.rlim_cur as u64);
        }
    }
    None
}

/// The whole answer to a connection past the cap: a JSON 503 in the API's error shape.
fn refusal(max_open: usize) -> Vec<u8> {
    let body = serde_json::json!({
        "code": "too_many_connections",
        "message": format!("the server has {max_open} connections open, its most; retry shortly"),
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `app` on `listener` until `shutdown` completes, then stops within the grace period.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max_open = limits.effective_max_open();
    let open = Arc::new(Semaphore::new(max_open));
    let (stopping, stop_signal) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read).keep_alive(true);
    let mut shutdown = pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of descriptors or a connection reset before it was accepted: the listener
                // is fine, so wait a moment rather than spin, and go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = open.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream, max_open));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let mut stop_signal = stop_signal.clone();
        tokio::spawn(async move {
            let mut connection = pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = async { stop_signal.wait_for(|stopping| *stopping).await.is_ok() } => {
                    // Idle connections close now; a request in flight finishes if it can within
                    // the grace period, after which the task is dropped with the runtime.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every slot back means every connection has closed.
    let all = u32::try_from(max_open).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(limits.shutdown_grace, open.acquire_many(all)).await;
    Ok(())
}

/// Answers a connection past the cap and closes it, without waiting long on a client that does
/// not read.
async fn refuse(mut stream: TcpStream, max_open: usize) {
    let answer = refusal(max_open);
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(&answer).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_json_answer() {
        let answer = String::from_utf8(refusal(7)).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        let length: usize =
            head.lines().find_map(|l| l.strip_prefix("content-length: ")).and_then(|n| n.parse().ok()).unwrap();
        assert_eq!(length, body.len());
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["code"], "too_many_connections");
        assert!(json["message"].as_str().unwrap().contains('7'));
    }

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        let limits = ConnectionLimits { max_open: usize::MAX, ..ConnectionLimits::default() };
        let cap = limits.effective_max_open();
        assert!(cap >= 1);
        if let Some(limit) = open_file_limit() {
            assert!((cap as u64) < limit, "{cap} connections would not fit {limit} descriptors");
        }
        let small = ConnectionLimits { max_open: 3, ..ConnectionLimits::default() };
        assert_eq!(small.effective_max_open(), 3);
    }
}
