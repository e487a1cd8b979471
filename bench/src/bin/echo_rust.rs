//! The echo server of issue 10 through oxevent's Rust API (beside
//! bench/c/echo_server.c, the same server on the C API): a [`Listener`] on
//! 127.0.0.1 (port argv[1], 0: any; the port is printed on stdout's first
//! line), one [`BufferEvent`] per connection, kept in a map by the
//! server's state; the read callback moves the input to the output
//! (without copying: through a scratch buffer), the event callback drops
//! the connection on end of file or error. SIGTERM stops it cleanly.
//! Usage: echo_rust [PORT]

use std::collections::HashMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::RawFd;

use oxevent::buffer::Buffer;
use oxevent::bufferevent::{BevEvent, BufferEvent, Listener};
use oxevent::{Base, Ev};

/// SIGTERM on Linux (the bench crate does not depend on libc).
const SIGTERM: i32 = 15;

struct Server {
    conns: HashMap<RawFd, BufferEvent<Server>>,
    scratch: Buffer,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let base = Base::<Server>::new()?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = Listener::bind(&base, addr, |srv: &mut Server, base, stream, _peer| {
        let conn = match BufferEvent::new(base, stream) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("echo_rust: bufferevent: {e}");
                return;
            }
        };
        conn.on_read(|srv: &mut Server, _, conn| {
            let scratch = &mut srv.scratch;
            let moved = conn.with_input(|input| scratch.add_buffer(input));
            if let Err(e) = moved.and_then(|()| conn.write_buffer(scratch)) {
                eprintln!("echo_rust: echo: {e}");
            }
        });
        conn.on_event(|srv: &mut Server, _, conn, what| {
            if what.contains(BevEvent::EOF) || what.contains(BevEvent::ERROR) {
                srv.conns.remove(&conn.fd());
            }
        });
        if let Err(e) = conn.enable(Ev::READ | Ev::WRITE) {
            eprintln!("echo_rust: enable: {e}");
            return;
        }
        srv.conns.insert(conn.fd(), conn);
    })?;
    let stop = base.signal(SIGTERM, Ev::PERSIST, |_, base, _| base.loopbreak())?;
    base.add(stop, None)?;
    let mut out = std::io::stdout();
    writeln!(out, "{}", listener.local_addr()?.port())?;
    out.flush()?;
    let mut srv = Server {
        conns: HashMap::new(),
        scratch: Buffer::new(),
    };
    base.dispatch(&mut srv)?;
    srv.conns.clear();
    base.free(stop)?;
    drop(listener);
    Ok(())
}
