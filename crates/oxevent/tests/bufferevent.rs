//! Buffered connections and listeners through the Rust API
//! (`oxevent::bufferevent`): data both ways, watermarks, timeouts, EOF and
//! errors, freeing from callbacks, panics, and a listener.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use oxevent::bufferevent::{BevEvent, BufferEvent, Conn, Listener};
use oxevent::{Base, Ev};

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[derive(Default)]
struct Echo {
    conns: Vec<BufferEvent<Echo>>,
    got: Vec<u8>,
    events: Vec<BevEvent>,
    rounds: usize,
}

#[test]
fn echo_server_and_client_exchange_a_thousand_messages() {
    let base = Base::<Echo>::new().unwrap();
    let listener = Listener::bind(&base, localhost(), |app: &mut Echo, base, stream, _| {
        let c = BufferEvent::new(base, stream).unwrap();
        c.on_read(|_, _, conn| {
            let data = conn.read_to_vec();
            conn.write(&data).unwrap();
        });
        c.enable(Ev::READ).unwrap();
        app.conns.push(c);
    })
    .unwrap();
    let client = BufferEvent::connect(&base, listener.local_addr().unwrap()).unwrap();
    client.on_event(|app: &mut Echo, _, conn, what| {
        app.events.push(what);
        if what == BevEvent::CONNECTED {
            conn.write(b"message-0000").unwrap();
        }
    });
    client.on_read(|app: &mut Echo, base, conn| {
        app.got.extend(conn.read_to_vec());
        while app.got.len() >= 12 {
            let msg: Vec<u8> = app.got.drain(..12).collect();
            assert_eq!(msg, format!("message-{:04}", app.rounds).as_bytes());
            app.rounds += 1;
            if app.rounds == 1000 {
                base.loopbreak();
                return;
            }
            conn.write(format!("message-{:04}", app.rounds).as_bytes())
                .unwrap();
        }
    });
    client.enable(Ev::READ).unwrap();
    let mut app = Echo::default();
    base.dispatch(&mut app).unwrap();
    assert_eq!(app.rounds, 1000);
    assert_eq!(app.events, [BevEvent::CONNECTED]);
}

#[test]
fn peer_close_gives_reading_eof_and_disables_reading() {
    let (a, b) = UnixStream::pair().unwrap();
    let base = Base::<Vec<BevEvent>>::new().unwrap();
    let c = BufferEvent::new(&base, a).unwrap();
    c.on_event(|seen: &mut Vec<BevEvent>, _, _, what| seen.push(what));
    c.enable(Ev::READ).unwrap();
    drop(b);
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen, [BevEvent::READING | BevEvent::EOF]);
    assert_eq!(c.enabled(), Ev::WRITE);
}

#[test]
fn read_high_watermark_holds_data_back_until_drained() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let base = Base::<Vec<usize>>::new().unwrap();
    let c = BufferEvent::new(&base, a).unwrap();
    c.set_watermark(Ev::READ, 0, 100);
    c.on_read(|lens: &mut Vec<usize>, base, conn| {
        lens.push(conn.input_len());
        base.loopbreak();
    });
    c.enable(Ev::READ).unwrap();
    b.write_all(&[7u8; 1000]).unwrap();
    let mut lens = Vec::new();
    base.dispatch(&mut lens).unwrap();
    assert_eq!(lens, [100]);
    // Full: the loop does not read more.
    base.run(oxevent::LoopFlags::NONBLOCK, &mut lens).unwrap();
    assert_eq!(c.input_len(), 100);
    // Draining resumes reading.
    let mut sink = [0u8; 100];
    assert_eq!(c.read(&mut sink), 100);
    base.dispatch(&mut lens).unwrap();
    assert_eq!(lens, [100, 100]);
}

#[test]
fn read_low_watermark_delays_the_callback() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let base = Base::<Vec<usize>>::new().unwrap();
    let c = BufferEvent::new(&base, a).unwrap();
    c.set_watermark(Ev::READ, 10, 0);
    c.on_read(|lens: &mut Vec<usize>, base, conn| {
        lens.push(conn.input_len());
        base.loopbreak();
    });
    c.enable(Ev::READ).unwrap();
    b.write_all(b"12345").unwrap();
    let mut lens = Vec::new();
    base.run(oxevent::LoopFlags::NONBLOCK, &mut lens).unwrap();
    base.run(oxevent::LoopFlags::NONBLOCK, &mut lens).unwrap();
    assert!(lens.is_empty());
    b.write_all(b"67890").unwrap();
    base.dispatch(&mut lens).unwrap();
    assert_eq!(lens, [10]);
}

#[test]
fn a_large_write_arrives_whole_and_the_write_callback_runs_once_drained() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let base = Base::<u32>::new().unwrap();
    let c = BufferEvent::new(&base, a).unwrap();
    let data: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65536];
        while got.len() < 4 << 20 {
            let n = b.read(&mut buf).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    c.on_write(|calls: &mut u32, base, conn| {
        assert_eq!(conn.output_len(), 0);
        *calls += 1;
        base.loopbreak();
    });
    c.write(&data).unwrap();
    let mut calls = 0;
    base.dispatch(&mut calls).unwrap();
    assert_eq!(calls, 1);
    assert_eq!(reader.join().unwrap(), data);
}

#[test]
fn write_low_watermark_runs_the_callback_before_the_output_is_empty() {
    let (a, b) = UnixStream::pair().unwrap();
    let base = Base::<Vec<usize>>::new().unwrap();
    let c = BufferEvent::new(&base, a).unwrap();
    c.set_watermark(Ev::WRITE, 1 << 30, 0);
    c.on_write(|lens: &mut Vec<usize>, base, conn| {
        lens.push(conn.output_len());
        base.loopbreak();
    });
    // More than the socket takes: something stays in the output.
    c.write(&vec![1u8; 8 << 20]).unwrap();
    let mut lens = Vec::new();
    base.dispatch(&mut lens).unwrap();
    assert_eq!(lens.len(), 1);
    assert!(lens[0] > 0, "called while data was still queued");
    drop(b);
}

#[test]
fn connect_to_a_closed_port_reports_an_error() {
    let port = {
        let l = TcpListener::bind(localhost()).unwrap();
        l.local_addr().unwrap()
    };
    let base = Base::<Vec<BevEvent>>::new().unwrap();
    let c = BufferEvent::connect(&base, port).unwrap();
    c.on_event(|seen: &mut Vec<BevEvent>, base, _, what| {
        seen.push(what);
        base.loopbreak();
    });
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert_eq!(seen, [BevEvent::ERROR]);
    let e = c.take_error().expect("the error is kept");
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn read_timeout_reports_and_disables_reading() {
    // Before the base: the timeout counts from the base's cached time,
    // which may be a little older than the moment `enable` is called.
    let start = Instant::now();
    let (a, _b) = UnixStream::pair().unwrap();
    let base = Base::<Vec<BevEvent>>::new().unwrap();
    let c = BufferEvent::new(&base, a).unwrap();
    c.set_timeouts(Some(Duration::from_millis(100)), None)
        .unwrap();
    c.on_event(|seen: &mut Vec<BevEvent>, _, _, what| seen.push(what));
    c.enable(Ev::READ).unwrap();
    let mut seen = Vec::new();
    base.dispatch(&mut seen).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(100));
    assert_eq!(seen, [BevEvent::READING | BevEvent::TIMEOUT]);
    assert!(!c.enabled().contains(Ev::READ));
}

#[derive(Default)]
struct Owner {
    conns: HashMap<u32, BufferEvent<Owner>>,
    freed: u32,
}

#[test]
fn a_connection_dropped_inside_its_own_callback_is_gone_cleanly() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let base = Base::<Owner>::new().unwrap();
    let c = BufferEvent::new(&base, a).unwrap();
    c.on_read(|o: &mut Owner, _, conn: &Conn<Owner>| {
        let _ = conn.read_to_vec();
        o.conns.remove(&1); // drops the BufferEvent: frees it mid-callback
        o.freed += 1;
        // The handle still answers, without effect.
        assert!(conn.write(b"late").is_err());
    });
    c.enable(Ev::READ).unwrap();
    let mut owner = Owner::default();
    owner.conns.insert(1, c);
    b.write_all(b"x").unwrap();
    base.dispatch(&mut owner).unwrap(); // no events left: returns
    assert_eq!(owner.freed, 1);
    // The socket was closed with the connection.
    let mut buf = [0u8; 1];
    assert_eq!(b.read(&mut buf).unwrap(), 0);
}

#[test]
fn a_panicking_callback_leaves_the_base_and_connection_usable() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let base = Base::<u32>::new().unwrap();
    let c = BufferEvent::new(&base, a).unwrap();
    c.on_read(|n: &mut u32, base, conn| {
        let _ = conn.read_to_vec();
        *n += 1;
        if *n == 1 {
            panic!("first read panics");
        }
        base.loopbreak();
    });
    c.enable(Ev::READ).unwrap();
    b.write_all(b"1").unwrap();
    let mut n = 0;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        base.dispatch(&mut n).unwrap();
    }));
    assert!(r.is_err());
    b.write_all(b"2").unwrap();
    base.dispatch(&mut n).unwrap();
    assert_eq!(n, 2);
}

#[test]
fn listener_disable_keeps_connections_waiting_until_enabled() {
    let base = Base::<Vec<SocketAddr>>::new().unwrap();
    let l = Listener::bind(
        &base,
        localhost(),
        |peers: &mut Vec<SocketAddr>, base, _s, peer| {
            peers.push(peer);
            base.loopbreak();
        },
    )
    .unwrap();
    l.disable().unwrap();
    let _client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let mut peers = Vec::new();
    // Nothing to do while disabled: the loop has no events and returns.
    base.dispatch(&mut peers).unwrap();
    assert!(peers.is_empty());
    l.enable().unwrap();
    base.dispatch(&mut peers).unwrap();
    assert_eq!(peers.len(), 1);
}

#[test]
fn many_connections_open_and_close_without_leaking_descriptors() {
    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }
    let base = Base::<Vec<BufferEvent<()>>>::new().unwrap();
    let before = open_fds();
    for _ in 0..200 {
        let (a, _b) = UnixStream::pair().unwrap();
        let c = BufferEvent::new(&base, a).unwrap();
        c.enable(Ev::READ).unwrap();
        c.write(b"x").unwrap();
        drop(c);
    }
    // Dropped connections close their sockets (and `_b` went each round).
    assert!(open_fds() <= before + 2, "{} -> {}", before, open_fds());
}
