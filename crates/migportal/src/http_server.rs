//! The HTTP server loop: axum's router on hyper with the limits `axum::serve`
//! does not offer — a deadline for a request's head (a client that sends
//! half a header line and waits holds nothing for long) and a deadline for
//! the graceful shutdown (connections still open when it passes are closed).

use axum::Router;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::Service;

/// The largest request head read (request line and headers).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Limits of the connection handling (configurable, see `Config`).
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    pub header_read_timeout: Duration,
    pub shutdown_deadline: Duration,
}

/// Serves until `stop` turns true, then lets requests in flight finish for
/// at most `shutdown_deadline`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut make = router.into_make_service_with_connect_info::<SocketAddr>();
    // HTTP/1.1 only (TLS and HTTP/2 end at the proxy in front): the version
    // sniffing of an "auto" server would wait for a silent client unbounded.
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // A request head over 64 KiB (hyper's default is its ~400 KiB read
        // buffer; the size is checked on the parsed head too) is answered
        // 431 and the connection closed: no client needs more, and each
        // open connection may hold this much memory. More than 100 header
        // lines get the same by hyper's default (setting it would move
        // every request's headers to the heap).
        .max_header_size(MAX_HEAD_BYTES)
        .max_buf_size(MAX_HEAD_BYTES * 2);
    let graceful = GracefulShutdown::new();
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await.map(|_| ());
    };
    tokio::pin!(stopped);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Too many open files and the like: wait a little, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stopped => break,
        };
        let Ok(service) = make.call(peer).await;
        let hyper_service = hyper_util::service::TowerToHyperService::new(service);
        let conn = builder.serve_connection(TokioIo::new(stream), hyper_service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown deadline passed; closing the connections left open");
    }
    Ok(())
}
