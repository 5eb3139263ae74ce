//! A hyper 0.12 server answering a hyper 0.12 client over loopback, on
//! tokio 0.1's thread-pool runtime and then on its current-thread runtime.
//!
//! The server answers `GET /hello` with a fixed body and echoes the body of
//! `POST /echo` with its FNV-1a checksum in a header. The client sends
//! requests of reproducible bodies (0 bytes to about 120 KB, every other one
//! chunked), several at a time over kept-alive connections, and checks each
//! answer's status, body and checksum. Exits non-zero on any mismatch,
//! error or time-out.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use evio_ecosystem::{fail, fnv1a, Pattern};
use futures::sync::oneshot;
use futures::{future, stream, Future, Stream};
use hyper::client::HttpConnector;
use hyper::service::service_fn;
use hyper::{Body, Chunk, Client, Method, Request, Response, Server, StatusCode};
use tokio::util::FutureExt;

const REQUESTS: usize = 120;
const IN_FLIGHT: usize = 8;
const HELLO: &[u8] = b"hello from hyper 0.12 on evio\n";
const DEADLINE: Duration = Duration::from_secs(60);

type BoxFut = Box<dyn Future<Item = Response<Body>, Error = hyper::Error> + Send>;

fn answer(req: Request<Body>) -> BoxFut {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/hello") => Box::new(future::ok(Response::new(Body::from(HELLO)))),
        (&Method::POST, "/echo") => Box::new(req.into_body().concat2().map(|body: Chunk| {
            let sum = fnv1a(&body);
            Response::builder()
                .header("x-fnv1a", format!("{:016x}", sum))
                .body(Body::from(body.to_vec()))
                .expect("a valid response")
        })),
        _ => Box::new(future::ok(
            Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(Body::empty())
                .expect("a valid response"),
        )),
    }
}

fn body_len(i: usize) -> usize {
    if i.is_multiple_of(10) {
        0
    } else {
        (i * 7_919) % 120_000
    }
}

/// Request `i`: a POST of a reproducible body (chunked for odd `i`), checked
/// on its way back; returns the number of body bytes checked.
fn exchange(
    client: &Client<HttpConnector>,
    addr: SocketAddr,
    i: usize,
) -> impl Future<Item = usize, Error = hyper::Error> + Send {
    let data = Pattern::new(1_000 + i as u64).take(body_len(i));
    let sum = fnv1a(&data);
    let body = if i % 2 == 1 {
        let chunks: Vec<Result<Chunk, io::Error>> = data
            .chunks(8_191)
            .map(|c| Ok(Chunk::from(c.to_vec())))
            .collect();
        Body::wrap_stream(stream::iter_result(chunks))
    } else {
        Body::from(data.clone())
    };
    let req = Request::post(format!("http://{}/echo", addr))
        .body(body)
        .expect("a valid request");
    client.request(req).and_then(move |res| {
        if res.status() != StatusCode::OK {
            fail(format!("request {}: status {}", i, res.status()));
        }
        let header = res
            .headers()
            .get("x-fnv1a")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default();
        res.into_body().concat2().map(move |got| {
            if got[..] != data[..] {
                fail(format!(
                    "request {}: {} bytes came back for {} sent, or different ones",
                    i,
                    got.len(),
                    data.len()
                ));
            }
            if header != format!("{:016x}", sum) {
                fail(format!(
                    "request {}: checksum header {:?}, expected {:016x}",
                    i, header, sum
                ));
            }
            got.len()
        })
    })
}

/// The client's part: one GET, then `REQUESTS` POSTs, `IN_FLIGHT` at a time.
fn client_run(
    client: Client<HttpConnector>,
    addr: SocketAddr,
) -> impl Future<Item = usize, Error = hyper::Error> + Send {
    let hello = client
        .get(
            format!("http://{}/hello", addr)
                .parse()
                .expect("a valid URI"),
        )
        .and_then(|res| {
            if res.status() != StatusCode::OK {
                fail(format!("GET /hello: status {}", res.status()));
            }
            res.into_body().concat2()
        })
        .map(|body| {
            if &body[..] != HELLO {
                fail("GET /hello: wrong body");
            }
            body.len()
        });
    hello.and_then(move |first| {
        stream::iter_ok(0..REQUESTS)
            .map(move |i| exchange(&client, addr, i))
            .buffer_unordered(IN_FLIGHT)
            .fold(first, |sum, n| Ok::<_, hyper::Error>(sum + n))
    })
}

/// A client that half-closes after its request, as some HTTP/1.1 clients
/// do: hyper 0.12 answers it in full (its default `http1_half_close`)
/// only if the half close reads as the end of the request and not as a
/// hang-up. Plain blocking std sockets, on a thread of its own.
fn half_closed_request(addr: SocketAddr) -> Result<usize, String> {
    use std::io::{Read, Write};

    let body = Pattern::new(77).take(50_000);
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(DEADLINE))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
        addr,
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    s.write_all(&body).map_err(|e| e.to_string())?;
    s.shutdown(std::net::Shutdown::Write)
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)
        .map_err(|e| format!("reading the answer: {}", e))?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no complete response head in {} bytes", answer.len()))?;
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        return Err(format!("status line {:?}", head.lines().next()));
    }
    if !head.contains(&format!("x-fnv1a: {:016x}", fnv1a(&body))) {
        return Err("checksum header missing or wrong".into());
    }
    if answer[split + 4..] != body[..] {
        return Err(format!(
            "{} body bytes back, {} sent, or different ones",
            answer.len() - split - 4,
            body.len()
        ));
    }
    Ok(body.len())
}

fn expected() -> usize {
    HELLO.len() + (0..REQUESTS).map(body_len).sum::<usize>()
}

fn check(what: &str, got: usize, start: Instant) {
    if got != expected() {
        fail(format!(
            "{}: {} body bytes checked, {} expected",
            what,
            got,
            expected()
        ));
    }
    println!(
        "{}: 1 GET and {} POSTs ({} body bytes each way), every answer checked ({:.2} s)",
        what,
        REQUESTS,
        got,
        start.elapsed().as_secs_f64()
    );
}

fn main() {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();

    // Thread-pool runtime: hyper's default executor is tokio::spawn.
    let start = Instant::now();
    let mut rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail(format!("runtime: {}", e)));
    let (stop, stopped) = oneshot::channel::<()>();
    let (done, server_done) = oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    rt.executor().spawn(future::lazy(move || {
        let server = Server::bind(&any).serve(|| service_fn(answer));
        addr_tx.send(server.local_addr()).expect("address to main");
        server
            .with_graceful_shutdown(stopped)
            .map_err(|e| fail(format!("hyper server: {}", e)))
            .map(move |()| {
                let _ = done.send(());
            })
    }));
    let addr = addr_rx
        .recv_timeout(DEADLINE)
        .unwrap_or_else(|e| fail(format!("server address: {}", e)));
    let client = Client::new();
    let got = rt
        .block_on(client_run(client, addr).timeout(DEADLINE))
        .unwrap_or_else(|e| fail(format!("hyper client (thread pool): {:?}", e)));
    let half = std::thread::spawn(move || half_closed_request(addr))
        .join()
        .unwrap_or_else(|_| fail("half-close client panicked"))
        .unwrap_or_else(|e| fail(format!("half-closed request: {}", e)));
    println!(
        "hyper 0.12 server, a client that half-closes after its request: {} body bytes echoed and checked",
        half
    );

    // Graceful shutdown: the server ends once its connections are closed.
    let _ = stop.send(());
    rt.block_on(server_done.timeout(DEADLINE))
        .unwrap_or_else(|e| fail(format!("hyper server did not shut down: {:?}", e)));
    rt.shutdown_now()
        .wait()
        .unwrap_or_else(|_| fail("runtime shutdown"));
    check(
        "hyper 0.12 client and server, thread-pool runtime",
        got,
        start,
    );

    // Current-thread runtime: both ends spawn onto this thread.
    let start = Instant::now();
    let mut rt = tokio::runtime::current_thread::Runtime::new()
        .unwrap_or_else(|e| fail(format!("current-thread runtime: {}", e)));
    let (stop, stopped) = oneshot::channel::<()>();
    let (done, server_done) = oneshot::channel::<()>();
    let got = rt
        .block_on(
            future::lazy(move || {
                let exec = tokio::runtime::current_thread::TaskExecutor::current();
                let server = Server::bind(&any)
                    .executor(exec.clone())
                    .serve(|| service_fn(answer));
                let addr = server.local_addr();
                tokio::runtime::current_thread::spawn(
                    server
                        .with_graceful_shutdown(stopped)
                        .map_err(|e| fail(format!("hyper server (current thread): {}", e)))
                        .map(move |()| {
                            let _ = done.send(());
                        }),
                );
                // The client spawns its connections with tokio's default
                // executor, which block_on sets to this thread's.
                let client = Client::new();
                client_run(client, addr)
            })
            .timeout(DEADLINE),
        )
        .unwrap_or_else(|e| fail(format!("hyper client (current thread): {:?}", e)));
    let _ = stop.send(());
    rt.block_on(server_done.timeout(DEADLINE))
        .unwrap_or_else(|e| {
            fail(format!(
                "hyper server (current thread) did not shut down: {:?}",
                e
            ))
        });
    check(
        "hyper 0.12 client and server, current-thread runtime",
        got,
        start,
    );
}
