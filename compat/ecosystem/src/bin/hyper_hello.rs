//! A hyper 0.12 "hello" server for the benchmark (`benches/hyper06.sh`):
//! `hyper_hello pool|current [port]` serves `GET` with a fixed 13-byte body
//! on 127.0.0.1, on tokio 0.1's thread-pool runtime (`pool`) or its
//! current-thread runtime (`current`), until it is killed. It prints
//! `listening on ADDR` once the socket is bound.
//!
//! The same source is built twice: in this workspace, where mio is evio,
//! and in `classic/`, which has no patch and so runs on mio 0.6.23.

use std::io::Write;
use std::net::SocketAddr;

use futures::{future, Future};
use hyper::service::service_fn_ok;
use hyper::{Body, Request, Response, Server};

fn hello(_req: Request<Body>) -> Response<Body> {
    Response::new(Body::from("Hello, World!"))
}

fn usage() -> ! {
    eprintln!("usage: hyper_hello pool|current [port]");
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runtime = args.next().unwrap_or_else(|| usage());
    let port: u16 = match args.next() {
        Some(p) => p.parse().unwrap_or_else(|_| usage()),
        None => 0,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let announce = |addr: SocketAddr| {
        println!("listening on {}", addr);
        let _ = std::io::stdout().flush();
    };
    match runtime.as_str() {
        "pool" => {
            let server = Server::bind(&addr).serve(|| service_fn_ok(hello));
            announce(server.local_addr());
            hyper::rt::run(server.map_err(|e| eprintln!("server error: {}", e)));
        }
        "current" => {
            let mut rt = tokio::runtime::current_thread::Runtime::new().expect("runtime");
            let server = rt
                .block_on(future::lazy(move || {
                    let exec = tokio::runtime::current_thread::TaskExecutor::current();
                    Ok::<_, ()>(
                        Server::bind(&addr)
                            .executor(exec)
                            .serve(|| service_fn_ok(hello)),
                    )
                }))
                .expect("server");
            announce(server.local_addr());
            rt.block_on(server.map_err(|e| eprintln!("server error: {}", e)))
                .expect("server ran");
        }
        _ => usage(),
    }
}
