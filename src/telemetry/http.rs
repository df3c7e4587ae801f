//! A small HTTP/1.1 server for `/metrics`, `/health/live` and
//! `/health/ready`. Scrapers and probes send one GET and read one response,
//! so this answers exactly that (`Connection: close`) instead of pulling in
//! a web framework.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Health, Metrics};

const MAX_REQUEST_HEAD: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves until the task is dropped. Bind first with [`TcpListener::bind`]
/// so that a taken port is an error at start.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, health: Arc<Health>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (metrics, health) = (metrics.clone(), health.clone());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(READ_TIMEOUT, answer(stream, &metrics, &health)).await;
        });
    }
}

async fn answer(mut stream: TcpStream, metrics: &Metrics, health: &Health) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() + n > MAX_REQUEST_HEAD {
            break;
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    let request_line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = request_line.split(|&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let path = path.split(|&b| b == b'?').next().unwrap_or_default();
    let (status, content_type, body): (&str, &str, Vec<u8>) = match (method, path) {
        (b"GET" | b"HEAD", b"/metrics") => {
            metrics.ready.set(i64::from(health.ready().is_ok()));
            (
                "200 OK",
                "text/plain; version=0.0.4; charset=utf-8",
                metrics.render(),
            )
        }
        (b"GET" | b"HEAD", b"/health/live") => match health.live() {
            Ok(()) => ("200 OK", "application/json", br#"{"live":true}"#.to_vec()),
            Err(reason) => (
                "503 Service Unavailable",
                "application/json",
                serde_json::json!({"live": false, "reason": reason})
                    .to_string()
                    .into_bytes(),
            ),
        },
        (b"GET" | b"HEAD", b"/health/ready") => match health.ready() {
            Ok(()) => ("200 OK", "application/json", br#"{"ready":true}"#.to_vec()),
            Err(reason) => (
                "503 Service Unavailable",
                "application/json",
                serde_json::json!({"ready": false, "reason": reason})
                    .to_string()
                    .into_bytes(),
            ),
        },
        (b"GET" | b"HEAD", _) => ("404 Not Found", "text/plain", b"not found\n".to_vec()),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            b"only GET\n".to_vec(),
        ),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes()).await?;
    if method != b"HEAD" {
        stream.write_all(&body).await?;
    }
    stream.shutdown().await
}
