//! `oxevent demo`: libevent's hello-world server and a client, in one
//! process, on oxevent's Rust API.
//!
//! The server is the seeds' example (`004`): a listener accepts, each
//! connection gets a buffered connection that writes a greeting, says
//! "flushed answer" once the kernel has taken all of it (the write
//! callback) and closes. The client is a buffered connection too: it
//! connects without blocking, reads until the server closes (end of file
//! on its event callback), and the loop stops. A 5 s timer turns any hang
//! into an error.
//!
//! Owns: its sockets (on 127.0.0.1, port chosen by the kernel) and its
//! base. Must never: block.

use std::net::SocketAddr;
use std::time::Duration;

use oxevent::bufferevent::{BevEvent, BufferEvent, Listener};
use oxevent::{Base, Ev};

use crate::Failure;

/// What the seed's server sends.
pub const MESSAGE: &[u8] = b"Hello, NewConnection!\n";
/// How long the demo may take.
const DEADLINE: Duration = Duration::from_secs(5);

/// What the callbacks share.
#[derive(Default)]
struct Demo {
    /// The server's connections (dropping one closes it).
    server_side: Vec<BufferEvent<Demo>>,
    /// What the client has read so far.
    received: Vec<u8>,
    /// `Some` once the demo is over: how it ended.
    outcome: Option<Result<(), String>>,
}

impl Demo {
    fn end(&mut self, base: &Base<Demo>, how: Result<(), String>) {
        if self.outcome.is_none() {
            self.outcome = Some(how);
        }
        base.loopbreak();
    }
}

/// Shows text the way a reader expects it: quoted, with `\n` visible.
fn quoted(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

fn failed(what: &str) -> impl Fn(oxevent::Error) -> Failure + '_ {
    move |e| Failure::Exit(1, format!("demo: {what}: {e}"))
}

/// The seed's per-connection work: greet, close once the greeting is out.
fn serve(app: &mut Demo, base: &Base<Demo>, stream: std::net::TcpStream, peer: SocketAddr) {
    println!(
        "server: accepted a connection from {peer}; sending {}",
        quoted(MESSAGE)
    );
    let conn = match BufferEvent::new(base, stream) {
        Ok(c) => c,
        Err(e) => return app.end(base, Err(format!("server: {e}"))),
    };
    conn.on_write(|app: &mut Demo, _, conn| {
        println!(
            "server: flushed answer ({} bytes); closing the connection",
            MESSAGE.len()
        );
        let fd = conn.fd();
        app.server_side.retain(|c| c.fd() != fd);
    });
    if let Err(e) = conn.write(MESSAGE) {
        return app.end(base, Err(format!("server: {e}")));
    }
    app.server_side.push(conn);
}

/// Runs the demo; exit status 0 when the client got the greeting.
pub fn main(args: &[String]) -> Result<i32, Failure> {
    if let Some(extra) = args.first() {
        return Err(Failure::Usage(format!(
            "demo takes no arguments (got {extra:?})"
        )));
    }
    let base = Base::<Demo>::new().map_err(failed("creating an event base"))?;
    println!(
        "oxevent demo: libevent's hello-world server and a client in one process, \
         on oxevent's Rust API (backend: {})",
        base.method()
    );
    let any: SocketAddr = "127.0.0.1:0".parse().expect("a literal address");
    let listener = Listener::bind(&base, any, serve).map_err(failed("listening on 127.0.0.1"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Exit(1, format!("demo: reading the address: {e}")))?;
    println!("server: listening on {addr}");

    let client = BufferEvent::connect(&base, addr).map_err(failed("connecting"))?;
    client.on_read(|app: &mut Demo, _, conn| app.received.extend(conn.read_to_vec()));
    client.on_event(move |app: &mut Demo, base, conn, what| {
        if what.contains(BevEvent::CONNECTED) {
            println!("client: connected to {addr}");
        } else if what.contains(BevEvent::EOF) {
            println!(
                "client: received {} ({} bytes), then the server closed the connection",
                quoted(&app.received),
                app.received.len()
            );
            let how = if app.received == MESSAGE {
                Ok(())
            } else {
                Err(format!("the client got {}", quoted(&app.received)))
            };
            app.end(base, how);
        } else {
            let why = conn
                .take_error()
                .map_or_else(|| format!("{what:?}"), |e| e.to_string());
            app.end(base, Err(format!("client: {why}")));
        }
    });
    client
        .enable(Ev::READ)
        .map_err(failed("enabling the client"))?;

    let watchdog = base
        .timer(|app: &mut Demo, base, _| {
            app.end(
                base,
                Err(format!("no answer within {} s", DEADLINE.as_secs())),
            )
        })
        .map_err(failed("creating the deadline"))?;
    base.add(watchdog, Some(DEADLINE))
        .map_err(failed("arming the deadline"))?;

    let mut app = Demo::default();
    base.dispatch(&mut app)
        .map_err(failed("running the loop"))?;
    match app.outcome.take() {
        Some(Ok(())) => {
            println!("demo: ok, the client got the server's greeting");
            Ok(0)
        }
        Some(Err(why)) => Err(Failure::Exit(1, format!("demo: {why}"))),
        None => Err(Failure::Exit(1, "demo: the loop ended early".into())),
    }
}
