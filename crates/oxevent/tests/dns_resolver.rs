//! The Rust face's resolver (`oxevent::dns::resolver::Resolver`) on a
//! real loop, against a responder on 127.0.0.1 in the same base.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use oxevent::dns::client::{Answer, DnsError, Kind, Options, Resolved};
use oxevent::dns::resolver::Resolver;
use oxevent::dns::wire::{Flags, Header, Message, Record, RCODE_NXDOMAIN};
use oxevent::{Base, Ev};

type Seen = Vec<(&'static str, Result<Resolved, DnsError>)>;

/// A UDP responder on the base: names starting with "nx" get NXDOMAIN,
/// "silent" names no answer, others 192.0.2.1 with TTL 42.
fn responder(base: &Base<Seen>) -> SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_nonblocking(true).unwrap();
    let addr = sock.local_addr().unwrap();
    let ev = base
        .io(sock, Ev::READ | Ev::PERSIST, |_: &mut Seen, _, io, _| {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = io.get_ref().recv_from(&mut buf) {
                let q = Message::parse(&buf[..n]).unwrap();
                let name =
                    String::from_utf8(q.questions[0].name.to_lowercase().to_dotted()).unwrap();
                if name.starts_with("silent") {
                    continue;
                }
                let mut r = Message::new(Header {
                    id: q.header.id,
                    flags: Flags::QR | Flags::RD | Flags::RA,
                });
                r.questions = q.questions.clone();
                if name.starts_with("nx") {
                    r.header.flags = r.header.flags.with_rcode(RCODE_NXDOMAIN);
                } else {
                    r.answers.push(Record::a(
                        q.questions[0].name.clone(),
                        42,
                        Ipv4Addr::new(192, 0, 2, 1),
                    ));
                }
                io.get_ref().send_to(&r.encode(512).unwrap(), from).unwrap();
            }
        })
        .unwrap();
    base.add(ev, None).unwrap();
    addr
}

fn run_until(base: &Base<Seen>, seen: &mut Seen, n: usize) {
    let start = Instant::now();
    while seen.len() < n && start.elapsed() < Duration::from_secs(10) {
        base.loopexit(Some(Duration::from_millis(50))).unwrap();
        base.dispatch(seen).unwrap();
    }
}

#[test]
fn lookups_answer_from_the_loop_with_the_dispatchs_data() {
    let base = Base::<Seen>::new().unwrap();
    let ns = responder(&base);
    let r = Resolver::new(&base).unwrap();
    r.add_nameserver(ns).unwrap();
    r.resolve("www.test", Kind::A, |seen: &mut Seen, res| {
        seen.push(("www", res))
    })
    .unwrap();
    r.resolve("nx.test", Kind::A, |seen: &mut Seen, res| {
        seen.push(("nx", res))
    })
    .unwrap();
    assert_eq!(r.pending(), 2);
    let mut seen = Seen::new();
    run_until(&base, &mut seen, 2);
    seen.sort_by_key(|s| s.0);
    assert_eq!(
        seen,
        vec![
            ("nx", Err(DnsError::NotExist)),
            (
                "www",
                Ok(Resolved {
                    answer: Answer::V4(vec![Ipv4Addr::new(192, 0, 2, 1)]),
                    ttl: 42
                })
            ),
        ]
    );
    assert_eq!(r.pending(), 0);
}

#[test]
fn a_silent_server_times_out_and_cancel_reports_at_once() {
    let base = Base::<Seen>::new().unwrap();
    let ns = responder(&base);
    let r = Resolver::new(&base).unwrap();
    r.set_options(Options {
        timeout: Duration::from_millis(100),
        attempts: 2,
        ..Options::default()
    });
    r.add_nameserver(ns).unwrap();
    let start = Instant::now();
    r.resolve("silent.test", Kind::A, |seen: &mut Seen, res| {
        seen.push(("silent", res))
    })
    .unwrap();
    let c = r
        .resolve("silent2.test", Kind::A, |seen: &mut Seen, res| {
            seen.push(("cancel", res))
        })
        .unwrap();
    r.cancel(c);
    let mut seen = Seen::new();
    run_until(&base, &mut seen, 2);
    assert_eq!(
        seen,
        vec![
            ("cancel", Err(DnsError::Cancel)),
            ("silent", Err(DnsError::Timeout))
        ]
    );
    // Two attempts of 100 ms each.
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[test]
fn dropping_the_resolver_drops_pending_callbacks_and_its_events() {
    let base = Base::<Seen>::new().unwrap();
    let ns = responder(&base);
    let r = Resolver::new(&base).unwrap();
    r.add_nameserver(ns).unwrap();
    r.resolve("www.test", Kind::A, |seen: &mut Seen, res| {
        seen.push(("www", res))
    })
    .unwrap();
    drop(r);
    let mut seen = Seen::new();
    base.loopexit(Some(Duration::from_millis(100))).unwrap();
    base.dispatch(&mut seen).unwrap();
    assert!(seen.is_empty());
}
