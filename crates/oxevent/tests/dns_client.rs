//! The resolver's state machine (`oxevent::dns::client`), driven by hand:
//! made-up replies and made-up times, no sockets.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use oxevent::dns::client::{Answer, Client, DnsError, Kind, Output, QueryId, Resolved};
use oxevent::dns::wire::{self, Flags, Header, Message, Name, Record};

const NS1: &str = "127.0.0.1:5301";
const NS2: &str = "127.0.0.2:5302";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A client with deterministic random bytes.
fn client() -> Client {
    let mut c = Client::new();
    let mut x: u32 = 0x1234_5678;
    c.set_random(Box::new(move |buf: &mut [u8]| {
        for b in buf {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
    }));
    c
}

struct Sent {
    server: usize,
    addr: SocketAddr,
    tcp: bool,
    query: QueryId,
    msg: Message,
}

type Done = Vec<(QueryId, Result<Resolved, DnsError>)>;

fn outputs(c: &mut Client) -> (Vec<Sent>, Done) {
    let mut sent = Vec::new();
    let mut done = Vec::new();
    while let Some(o) = c.poll_output() {
        match o {
            Output::Transmit {
                server,
                addr,
                tcp,
                query,
                bytes,
            } => {
                assert!(bytes.len() <= 512);
                sent.push(Sent {
                    server,
                    addr,
                    tcp,
                    query,
                    msg: Message::parse(&bytes).unwrap(),
                })
            }
            Output::Done { query, outcome, .. } => done.push((query, outcome)),
        }
    }
    (sent, done)
}

/// A reply to `q` with `rcode` and `answers`.
fn reply(q: &Message, rcode: u8, answers: Vec<Record>) -> Vec<u8> {
    let mut m = Message::new(Header {
        id: q.header.id,
        flags: (Flags::QR | Flags::RD | Flags::RA).with_rcode(rcode),
    });
    m.questions = q.questions.clone();
    m.answers = answers;
    m.encode(4096).unwrap()
}

fn qname(q: &Message) -> Name {
    q.questions[0].name.clone()
}

fn a(q: &Message, ip: [u8; 4], ttl: u32) -> Record {
    Record::a(qname(q), ttl, Ipv4Addr::from(ip))
}

#[test]
fn a_lookup_sends_one_query_and_reports_the_addresses_with_the_smallest_ttl() {
    let mut c = client();
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    let id = c.resolve("www.example.com", Kind::A, true, t0).unwrap();
    let (sent, done) = outputs(&mut c);
    assert!(done.is_empty());
    assert_eq!(sent.len(), 1);
    let q = &sent[0];
    assert_eq!(
        (q.server, q.addr, q.tcp, q.query),
        (s, addr(NS1), false, id)
    );
    assert!(q.msg.header.flags.contains(Flags::RD));
    assert_eq!(q.msg.questions[0].qtype, wire::TYPE_A);
    // 0x20: the name went out in mixed case, equal ignoring case.
    assert!(q.msg.questions[0]
        .name
        .eq_ignore_case(&"www.example.com".parse().unwrap()));
    assert_ne!(
        q.msg.questions[0].name.as_wire(),
        Name::from_dotted(b"www.example.com").unwrap().as_wire()
    );
    let r = reply(
        &q.msg,
        0,
        vec![a(&q.msg, [10, 0, 0, 1], 300), a(&q.msg, [10, 0, 0, 2], 60)],
    );
    c.handle_reply(s, addr(NS1), &r, t0);
    let (sent, done) = outputs(&mut c);
    assert!(sent.is_empty());
    assert_eq!(
        done,
        vec![(
            id,
            Ok(Resolved {
                answer: Answer::V4(vec![Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)]),
                ttl: 60
            })
        )]
    );
    assert_eq!(c.pending(), 0);
    assert_eq!(c.in_flight(), 0);
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn replies_that_do_not_match_are_dropped_and_the_real_one_still_counts() {
    let mut c = client();
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    let id = c.resolve("host.test", Kind::Aaaa, false, t0).unwrap();
    let (sent, _) = outputs(&mut c);
    let q = &sent[0].msg;
    let good = reply(q, 0, vec![Record::aaaa(qname(q), 5, Ipv6Addr::LOCALHOST)]);
    // From another address.
    c.handle_reply(s, addr("127.0.0.9:5301"), &good, t0);
    // Another transaction id.
    let mut other = Message::parse(&good).unwrap();
    other.header.id = other.header.id.wrapping_add(1);
    c.handle_reply(s, addr(NS1), &other.encode(512).unwrap(), t0);
    // The question in another case than sent (0x20 is on).
    let mut lower = Message::parse(&good).unwrap();
    lower.questions[0].name = lower.questions[0].name.to_lowercase();
    if lower.questions[0].name != q.questions[0].name {
        c.handle_reply(s, addr(NS1), &lower.encode(512).unwrap(), t0);
    }
    // Another type asked.
    let mut ty = Message::parse(&good).unwrap();
    ty.questions[0].qtype = wire::TYPE_A;
    c.handle_reply(s, addr(NS1), &ty.encode(512).unwrap(), t0);
    // A query, not a reply (QR clear).
    let mut query = Message::parse(&good).unwrap();
    query.header.flags.set(Flags::QR, false);
    c.handle_reply(s, addr(NS1), &query.encode(512).unwrap(), t0);
    // Garbage, and a removed server's index.
    c.handle_reply(s, addr(NS1), b"\x12", t0);
    c.handle_reply(7, addr(NS1), &good, t0);
    let (sent, done) = outputs(&mut c);
    assert!(sent.is_empty() && done.is_empty());
    assert!(c.poll_log().is_some());
    c.handle_reply(s, addr(NS1), &good, t0);
    let (_, done) = outputs(&mut c);
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].0, id);
    assert_eq!(
        done[0].1.as_ref().unwrap().answer,
        Answer::V6(vec![Ipv6Addr::LOCALHOST])
    );
}

#[test]
fn without_0x20_the_echo_may_differ_in_case() {
    let mut c = client();
    c.options.randomize_case = false;
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    c.resolve("MiXeD.TeSt", Kind::A, false, t0).unwrap();
    let (sent, _) = outputs(&mut c);
    let q = &sent[0].msg;
    assert_eq!(q.questions[0].name.to_dotted(), b"MiXeD.TeSt");
    let mut r = Message::parse(&reply(q, 0, vec![a(q, [1, 2, 3, 4], 1)])).unwrap();
    r.questions[0].name = r.questions[0].name.to_lowercase();
    c.handle_reply(s, addr(NS1), &r.encode(512).unwrap(), t0);
    let (_, done) = outputs(&mut c);
    assert!(done[0].1.is_ok());
}

#[test]
fn a_silent_server_gets_every_attempt_then_the_lookup_times_out() {
    let mut c = client();
    c.options.attempts = 3;
    c.options.max_timeouts = 10;
    let t0 = Instant::now();
    c.add_server(addr(NS1), t0);
    let id = c.resolve("slow.test", Kind::A, false, t0).unwrap();
    let (sent, _) = outputs(&mut c);
    let first = &sent[0].msg;
    let mut now = t0;
    for attempt in 2..=3 {
        now = c.next_deadline().unwrap();
        assert_eq!(now - t0, c.options.timeout * (attempt - 1));
        c.handle_timeouts(now);
        let (sent, done) = outputs(&mut c);
        assert!(done.is_empty());
        assert_eq!(sent.len(), 1, "attempt {attempt}");
        // The same transaction and the same name, case included.
        assert_eq!(sent[0].msg.header.id, first.header.id);
        assert_eq!(sent[0].msg.questions, first.questions);
    }
    // Early: nothing yet.
    c.handle_timeouts(now + Duration::from_secs(1));
    assert!(c.poll_output().is_none());
    c.handle_timeouts(c.next_deadline().unwrap());
    let (sent, done) = outputs(&mut c);
    assert!(sent.is_empty());
    assert_eq!(done, vec![(id, Err(DnsError::Timeout))]);
}

#[test]
fn a_server_that_keeps_timing_out_is_marked_down_probed_and_back_on_an_answer() {
    let mut c = client();
    c.options.attempts = 1;
    c.options.max_timeouts = 2;
    c.options.initial_probe_timeout = Duration::from_secs(10);
    let t0 = Instant::now();
    let s1 = c.add_server(addr(NS1), t0);
    let s2 = c.add_server(addr(NS2), t0);
    // Round robin: first to NS1, then NS2, then NS1.
    let mut now = t0;
    let mut to_ns1 = 0;
    while to_ns1 < 2 {
        c.resolve("x.test", Kind::A, false, now).unwrap();
        let (sent, _) = outputs(&mut c);
        let q = &sent[0];
        if q.server == s1 {
            to_ns1 += 1;
            now = c.next_deadline().unwrap();
            c.handle_timeouts(now);
            let (_, done) = outputs(&mut c);
            assert_eq!(done[0].1, Err(DnsError::Timeout));
        } else {
            let r = reply(&q.msg, 0, vec![a(&q.msg, [9, 9, 9, 9], 1)]);
            c.handle_reply(s2, addr(NS2), &r, now);
            outputs(&mut c);
        }
    }
    assert!(!c.servers()[s1].up && c.servers()[s2].up);
    assert!(c.poll_log().is_some());
    // While down, lookups go to NS2 only.
    for _ in 0..3 {
        c.resolve("y.test", Kind::A, false, now).unwrap();
        let (sent, _) = outputs(&mut c);
        assert_eq!(sent[0].server, s2);
        let r = reply(&sent[0].msg, 0, vec![a(&sent[0].msg, [9, 9, 9, 9], 1)]);
        c.handle_reply(s2, addr(NS2), &r, now);
        outputs(&mut c);
    }
    // The probe goes out after the probe timeout.
    let probe_at = c.next_deadline().unwrap();
    assert_eq!(probe_at - now, Duration::from_secs(10));
    c.handle_timeouts(probe_at);
    let (sent, done) = outputs(&mut c);
    assert!(done.is_empty());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].server, s1);
    // A failed probe backs off (times 3).
    let probe_deadline = c.next_deadline().unwrap();
    c.handle_timeouts(probe_deadline);
    assert!(outputs(&mut c).0.is_empty());
    assert_eq!(
        c.next_deadline().unwrap() - probe_deadline,
        Duration::from_secs(30)
    );
    c.handle_timeouts(c.next_deadline().unwrap());
    let (sent, _) = outputs(&mut c);
    assert_eq!(sent[0].server, s1);
    // Any well-formed reply to the probe brings it back.
    let r = reply(&sent[0].msg, wire::RCODE_REFUSED, vec![]);
    c.handle_reply(s1, addr(NS1), &r, now);
    let (_, done) = outputs(&mut c);
    assert!(done.is_empty(), "probes are never reported");
    assert!(c.servers()[s1].up);
    assert_eq!(c.pending(), 0);
}

#[test]
fn the_search_list_is_tried_in_libevents_order_until_a_name_answers() {
    let mut c = client();
    c.search_add("a.test");
    c.search_add(".b.test");
    assert_eq!(c.search_list(), ["a.test", "b.test"]);
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    let id = c.resolve("www", Kind::A, true, t0).unwrap();
    let mut asked = Vec::new();
    loop {
        let (sent, done) = outputs(&mut c);
        if !done.is_empty() {
            assert_eq!(done[0].0, id);
            assert_eq!(
                done[0].1.as_ref().unwrap().answer,
                Answer::V4(vec![Ipv4Addr::new(5, 5, 5, 5)])
            );
            break;
        }
        let q = &sent[0].msg;
        let name = String::from_utf8(qname(q).to_lowercase().to_dotted()).unwrap();
        asked.push(name.clone());
        let r = if name == "www" {
            reply(q, 0, vec![a(q, [5, 5, 5, 5], 1)])
        } else {
            reply(q, wire::RCODE_NXDOMAIN, vec![])
        };
        c.handle_reply(s, addr(NS1), &r, t0);
    }
    assert_eq!(asked, ["www.a.test", "www.b.test", "www"]);
}

#[test]
fn a_name_with_no_record_of_the_type_tries_the_next_name_then_reports_nodata() {
    let mut c = client();
    c.search_add("a.test");
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    let id = c.resolve("h.x", Kind::A, true, t0).unwrap();
    for _ in 0..2 {
        let (sent, _) = outputs(&mut c);
        let q = &sent[0].msg;
        // A CNAME but no A record.
        let cname = Record::cname(qname(q), 5, "elsewhere.test".parse().unwrap());
        c.handle_reply(s, addr(NS1), &reply(q, 0, vec![cname]), t0);
    }
    let (sent, done) = outputs(&mut c);
    assert!(sent.is_empty());
    assert_eq!(done, vec![(id, Err(DnsError::NoData))]);
}

#[test]
fn a_truncated_reply_is_asked_again_over_tcp() {
    let mut c = client();
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    let id = c.resolve("big.test", Kind::A, false, t0).unwrap();
    let (sent, _) = outputs(&mut c);
    let q = sent[0].msg.clone();
    let mut tc = Message::parse(&reply(&q, 0, vec![])).unwrap();
    tc.header.flags.set(Flags::TC, true);
    c.handle_reply(s, addr(NS1), &tc.encode(512).unwrap(), t0);
    let (sent, done) = outputs(&mut c);
    assert!(done.is_empty());
    assert_eq!(sent.len(), 1);
    assert!(sent[0].tcp);
    assert_eq!(sent[0].query, id);
    assert_eq!(sent[0].msg.questions, q.questions);
    // A late UDP copy is not taken while TCP runs.
    c.handle_reply(
        s,
        addr(NS1),
        &reply(&q, 0, vec![a(&q, [1, 1, 1, 1], 1)]),
        t0,
    );
    assert!(outputs(&mut c).1.is_empty());
    let many: Vec<Record> = (0..100).map(|i| a(&q, [10, 0, 0, i as u8], 7)).collect();
    c.handle_tcp_reply(id, &reply(&q, 0, many), t0);
    let (_, done) = outputs(&mut c);
    match &done[0].1 {
        Ok(Resolved {
            answer: Answer::V4(v),
            ttl: 7,
        }) => assert_eq!(v.len(), 100),
        other => panic!("{other:?}"),
    }
    // And a TCP failure reports the truncation.
    let id = c.resolve("big2.test", Kind::A, false, t0).unwrap();
    let (sent, _) = outputs(&mut c);
    let mut tc = Message::parse(&reply(&sent[0].msg, 0, vec![])).unwrap();
    tc.header.flags.set(Flags::TC, true);
    c.handle_reply(s, addr(NS1), &tc.encode(512).unwrap(), t0);
    outputs(&mut c);
    c.handle_tcp_failure(id, t0);
    assert_eq!(outputs(&mut c).1, vec![(id, Err(DnsError::Truncated))]);
}

#[test]
fn lookups_beyond_max_inflight_wait_their_turn() {
    let mut c = client();
    c.options.max_inflight = 2;
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    let ids: Vec<QueryId> = (0..3)
        .map(|i| {
            c.resolve(&format!("n{i}.test"), Kind::A, false, t0)
                .unwrap()
        })
        .collect();
    let (sent, _) = outputs(&mut c);
    assert_eq!(sent.len(), 2);
    assert_eq!(c.in_flight(), 2);
    assert_eq!(c.pending(), 3);
    let r = reply(&sent[0].msg, 0, vec![a(&sent[0].msg, [1, 1, 1, 1], 1)]);
    c.handle_reply(s, addr(NS1), &r, t0);
    let (sent, done) = outputs(&mut c);
    assert_eq!(done[0].0, ids[0]);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].query, ids[2]);
}

#[test]
fn suspended_lookups_wait_for_a_server_and_resume() {
    let mut c = client();
    let t0 = Instant::now();
    c.add_server(addr(NS1), t0);
    let id = c.resolve("later.test", Kind::A, false, t0).unwrap();
    outputs(&mut c);
    c.clear_servers_and_suspend();
    assert!(c.servers().is_empty());
    assert_eq!(c.in_flight(), 0);
    let id2 = c.resolve("later2.test", Kind::A, false, t0).unwrap();
    let s = c.add_server(addr(NS2), t0);
    assert!(outputs(&mut c).0.is_empty(), "suspended until resume");
    c.resume(t0);
    let (sent, _) = outputs(&mut c);
    assert_eq!(sent.iter().map(|q| q.query).collect::<Vec<_>>(), [id, id2]);
    assert!(sent.iter().all(|q| q.server == s && q.addr == addr(NS2)));
}

#[test]
fn cancel_and_shutdown_report_their_codes_once() {
    let mut c = client();
    let t0 = Instant::now();
    c.add_server(addr(NS1), t0);
    let a = c.resolve("a.test", Kind::A, false, t0).unwrap();
    let b = c.resolve("b.test", Kind::A, false, t0).unwrap();
    outputs(&mut c);
    c.cancel(a, t0);
    c.cancel(a, t0);
    assert_eq!(outputs(&mut c).1, vec![(a, Err(DnsError::Cancel))]);
    c.shutdown(true);
    assert_eq!(outputs(&mut c).1, vec![(b, Err(DnsError::Shutdown))]);
    assert_eq!(c.pending(), 0);
    assert_eq!(c.in_flight(), 0);
    assert_eq!(DnsError::Shutdown.code(), 68);
    assert_eq!(DnsError::describe(69), "dns request canceled");
}

#[test]
fn refused_goes_to_another_server_and_servfail_counts_as_a_timeout() {
    let mut c = client();
    c.options.attempts = 2;
    let t0 = Instant::now();
    let s1 = c.add_server(addr(NS1), t0);
    let s2 = c.add_server(addr(NS2), t0);
    let id = c.resolve("e.test", Kind::A, false, t0).unwrap();
    let (sent, _) = outputs(&mut c);
    assert_eq!(sent[0].server, s1);
    c.handle_reply(
        s1,
        addr(NS1),
        &reply(&sent[0].msg, wire::RCODE_REFUSED, vec![]),
        t0,
    );
    assert!(!c.servers()[s1].up);
    let (sent, done) = outputs(&mut c);
    assert!(done.is_empty());
    assert_eq!(sent[0].server, s2, "reissued to the other server");
    // SERVFAIL: sent again at once (attempts 2), then DNS_ERR_TIMEOUT.
    c.handle_reply(
        s2,
        addr(NS2),
        &reply(&sent[0].msg, wire::RCODE_SERVFAIL, vec![]),
        t0,
    );
    let (sent, done) = outputs(&mut c);
    assert!(done.is_empty());
    assert_eq!(sent.len(), 1);
    c.handle_reply(
        s2,
        addr(NS2),
        &reply(&sent[0].msg, wire::RCODE_SERVFAIL, vec![]),
        t0,
    );
    let (sent, done) = outputs(&mut c);
    assert!(sent.is_empty());
    assert_eq!(done, vec![(id, Err(DnsError::Timeout))]);
    assert!(
        c.servers()[s2].up,
        "two timeouts of three do not mark it down"
    );
    // REFUSED with no other server up: the error at once.
    let id = c.resolve("f.test", Kind::A, false, t0).unwrap();
    let (sent, _) = outputs(&mut c);
    c.handle_reply(
        s2,
        addr(NS2),
        &reply(&sent[0].msg, wire::RCODE_NOTIMP, vec![]),
        t0,
    );
    assert_eq!(outputs(&mut c).1, vec![(id, Err(DnsError::NotImpl))]);
}

#[test]
fn negative_answers_carry_the_soa_minimum_as_their_ttl() {
    let mut c = client();
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    let id = c.resolve("gone.test", Kind::A, false, t0).unwrap();
    let (sent, _) = outputs(&mut c);
    let q = &sent[0].msg;
    let mut m = Message::parse(&reply(q, wire::RCODE_NXDOMAIN, vec![])).unwrap();
    // SOA data: two names (root, root), then serial, refresh, retry,
    // expire, minimum 45; the record's TTL 600.
    let mut soa = vec![0u8, 0u8];
    for v in [1u32, 2, 3, 4, 45] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    m.authority.push(Record {
        name: "test".parse().unwrap(),
        rtype: wire::TYPE_SOA,
        class: wire::CLASS_IN,
        ttl: 600,
        data: wire::RData::Other(soa),
    });
    c.handle_reply(s, addr(NS1), &m.encode(512).unwrap(), t0);
    match c.poll_output() {
        Some(Output::Done {
            query,
            outcome: Err(DnsError::NotExist),
            negative_ttl: 45,
        }) => assert_eq!(query, id),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reverse_lookups_report_the_name() {
    let mut c = client();
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    let name = wire::reverse_name_v4(Ipv4Addr::new(192, 0, 2, 7));
    let id = c
        .resolve(
            &String::from_utf8(name.to_dotted()).unwrap(),
            Kind::Ptr,
            true,
            t0,
        )
        .unwrap();
    let (sent, _) = outputs(&mut c);
    let q = &sent[0].msg;
    assert_eq!(q.questions[0].qtype, wire::TYPE_PTR);
    assert!(q.questions[0].name.eq_ignore_case(&name));
    let ptr = Record::ptr(qname(q), 99, "host.example".parse().unwrap());
    c.handle_reply(s, addr(NS1), &reply(q, 0, vec![ptr]), t0);
    assert_eq!(
        outputs(&mut c).1,
        vec![(
            id,
            Ok(Resolved {
                answer: Answer::Name("host.example".into()),
                ttl: 99
            })
        )]
    );
}

#[test]
fn names_that_cannot_be_sent_are_refused() {
    let mut c = client();
    assert_eq!(
        c.resolve("", Kind::A, false, Instant::now()),
        Err(DnsError::Format)
    );
    let long = "a".repeat(64);
    assert_eq!(
        c.resolve(&long, Kind::A, false, Instant::now()),
        Err(DnsError::Format)
    );
    let huge = vec!["abc"; 80].join(".");
    assert_eq!(
        c.resolve(&huge, Kind::A, false, Instant::now()),
        Err(DnsError::Format)
    );
    assert_eq!(c.pending(), 0);
}

#[test]
fn random_and_mutated_replies_never_break_the_client() {
    let mut c = client();
    let t0 = Instant::now();
    let s = c.add_server(addr(NS1), t0);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        x ^= x << 7;
        x ^= x >> 9;
        x
    };
    for i in 0..20_000 {
        if c.pending() < 4 {
            c.resolve(&format!("r{i}.test"), Kind::A, false, t0)
                .unwrap();
        }
        let (sent, _) = outputs(&mut c);
        let base = sent
            .last()
            .map(|q| reply(&q.msg, 0, vec![a(&q.msg, [1, 2, 3, 4], 1)]))
            .unwrap_or_else(|| vec![0; 12]);
        let mut pkt = base.clone();
        for _ in 0..(rnd() % 4) {
            let at = (rnd() as usize) % pkt.len();
            pkt[at] = rnd() as u8;
        }
        if rnd() % 5 == 0 {
            pkt.truncate((rnd() as usize) % (pkt.len() + 1));
        }
        c.handle_reply(s, addr(NS1), &pkt, t0);
        while c.poll_log().is_some() {}
        outputs(&mut c);
    }
    c.shutdown(false);
    assert_eq!(c.pending(), 0);
}
