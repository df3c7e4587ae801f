//! A small HTTP/1.1 server for `/metrics`, `/health/live` and
//! `/health/ready`. Scrapers and probes send one GET and read one response,
//! so this answers exactly that (`Connection: close`) instead of pulling in
//! a web framework.
//!
//! What keeps it answering probes whatever clients do: at most
//! [`MAX_CONNECTIONS`] connections are open (a new one closes the oldest
//! that is still sending its request), a request head is read for at most
//! [`READ_TIMEOUT`] and [`MAX_REQUEST_HEAD`] bytes (then 431), and a
//! request may end its lines with CRLF or LF alone.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use super::{Health, Metrics};

const MAX_REQUEST_HEAD: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Open connections at most (each is a task and a file descriptor).
const MAX_CONNECTIONS: usize = 256;

/// Serves until the task is dropped. Bind first with [`TcpListener::bind`]
/// so that a taken port is an error at start.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, health: Arc<Health>) {
    let open: Arc<Mutex<VecDeque<AbortHandle>>> = Arc::new(Mutex::new(VecDeque::new()));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, or a connection reset before accept.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (metrics, health) = (metrics.clone(), health.clone());
        let task = tokio::spawn(async move {
            let _ = tokio::time::timeout(READ_TIMEOUT, answer(stream, &metrics, &health)).await;
        });
        let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|t| !t.is_finished());
        if open.len() >= MAX_CONNECTIONS
            && let Some(oldest) = open.pop_front()
        {
            oldest.abort();
        }
        open.push_back(task.abort_handle());
    }
}

/// Reads a request head: up to the blank line (CRLF or LF line ends).
/// None when the client closed first; Err(()) when it is too large.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Result<Vec<u8>, ()>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
            return Ok(Ok(head));
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(Ok(head));
        }
        if head.len() + n > MAX_REQUEST_HEAD {
            return Ok(Err(()));
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
}

async fn answer(mut stream: TcpStream, metrics: &Metrics, health: &Health) -> std::io::Result<()> {
    let Ok(head) = read_head(&mut stream).await? else {
        let body = b"request head too large\n";
        let header = format!(
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(header.as_bytes()).await?;
        stream.write_all(body).await?;
        return stream.shutdown().await;
    };
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let request_line = first.strip_suffix(b"\r").unwrap_or(first);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    async fn server() -> (std::net::SocketAddr, Arc<Health>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let health = Arc::new(Health::new());
        tokio::spawn(serve(listener, Arc::new(Metrics::new()), health.clone()));
        (addr, health)
    }

    /// Sends `request` and reads the whole response.
    async fn ask(addr: std::net::SocketAddr, request: &[u8]) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(request).await.unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn answers_the_three_paths_and_refuses_the_rest() {
        let (addr, health) = server().await;
        let live = ask(addr, b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(
            live.starts_with("HTTP/1.1 200") && live.ends_with(r#"{"live":true}"#),
            "{live}"
        );
        let ready = ask(addr, b"GET /health/ready HTTP/1.1\r\n\r\n").await;
        assert!(
            ready.starts_with("HTTP/1.1 503") && ready.contains("starting"),
            "{ready}"
        );
        health.set_started();
        health.set_broker_up(true);
        let ready = ask(addr, b"GET /health/ready?verbose=1 HTTP/1.1\r\n\r\n").await;
        assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
        let metrics = ask(addr, b"GET /metrics HTTP/1.1\r\n\r\n").await;
        assert!(metrics.contains("posting_enricher_ready 1"), "{metrics}");
        let head = ask(addr, b"HEAD /metrics HTTP/1.1\r\n\r\n").await;
        assert!(head.ends_with("\r\n\r\n"), "no body for HEAD: {head}");
        assert!(
            ask(addr, b"GET /nope HTTP/1.1\r\n\r\n")
                .await
                .starts_with("HTTP/1.1 404")
        );
        assert!(
            ask(addr, b"POST /metrics HTTP/1.1\r\n\r\n")
                .await
                .starts_with("HTTP/1.1 405")
        );
    }

    /// Review finding: a request with LF line ends waited for the 5 s
    /// timeout before it was answered.
    #[tokio::test]
    async fn a_request_with_lf_line_ends_is_answered_at_once() {
        let (addr, _) = server().await;
        let started = Instant::now();
        let live = ask(addr, b"GET /health/live HTTP/1.1\nHost: x\n\n").await;
        assert!(live.starts_with("HTTP/1.1 200"), "{live}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    /// Review finding: no cap on connections. 2,000 idle connections and a
    /// request with a 100 KiB header must not keep a probe out.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_connections_and_a_huge_header_do_not_keep_probes_out() {
        raise_open_files_limit(8192);
        let (addr, _) = server().await;
        let mut idle = Vec::new();
        for _ in 0..2000 {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
        let mut huge = b"GET /metrics HTTP/1.1\r\nX-Big: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', 100 * 1024));
        huge.extend_from_slice(b"\r\n\r\n");
        let refused = ask(addr, &huge).await;
        assert!(
            refused.starts_with("HTTP/1.1 431"),
            "{}",
            &refused[..refused.len().min(200)]
        );
        let started = Instant::now();
        let live = tokio::time::timeout(
            Duration::from_secs(1),
            ask(addr, b"GET /health/live HTTP/1.1\r\n\r\n"),
        )
        .await
        .expect("/health/live answered within 1 s");
        assert!(live.starts_with("HTTP/1.1 200"), "{live}");
        println!(
            "probe answered in {:?} beside 2,000 idle connections",
            started.elapsed()
        );
        drop(idle);
    }

    /// The test opens 2,000 connections and the server as many: more than
    /// a default soft limit of 1,024 descriptors.
    fn raise_open_files_limit(want: u64) {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: plain system calls on a local struct.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < want {
                limit.rlim_cur = want.min(limit.rlim_max);
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    }
}
