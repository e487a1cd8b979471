//! The resolver's state machine, without I/O (libevent's evdns request
//! logic: nameserver choice, retransmits, timeouts, failure detection and
//! probes, the search list, 0x20 case randomization, TCP after truncation).
//!
//! A [`Client`] never touches a socket or a clock: the face that drives it
//! (the C face's `evdns_base`, or the Rust face) feeds it the datagrams
//! that arrive ([`Client::handle_reply`]) and the current time (every call
//! that may send takes `now`; [`Client::handle_timeouts`] at
//! [`Client::next_deadline`]), and takes from it what to send and what
//! finished ([`Client::poll_output`]). So every
//! rule here is tested with made-up packets and times, and the packet
//! parser it relies on ([`wire`]) is the only code that reads
//! untrusted bytes.
//!
//! What a reply must match to be accepted (anything else is dropped with a
//! log line, never taken as an answer): the address of the nameserver the
//! query went to, a transaction id in flight to it, and a question section
//! that echoes ours: same type and, with 0x20 randomization on, the same
//! name byte for byte (otherwise, the same name ignoring ASCII case).
//!
//! Deliberate choices, documented where libevent differs:
//! - a nameserver that was marked down comes back up on any well-formed
//!   reply to its probe (libevent wants NOERROR or NXDOMAIN; REFUSED still
//!   proves the server is there);
//! - a name ending in `.` is absolute: the search list is not applied;
//! - a truncated UDP reply is retried over TCP (libevent 2.1.12 reports
//!   `DNS_ERR_TRUNCATED`); if TCP fails, that is the result.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use super::wire;

/// libevent's defaults (`evdns_base_new`).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_ATTEMPTS: u32 = 3;
const DEFAULT_MAX_TIMEOUTS: u32 = 3;
const DEFAULT_MAX_INFLIGHT: usize = 64;
const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_PROBE_TIMEOUT: Duration = Duration::from_secs(3600);
const DEFAULT_PROBE_BACKOFF: u32 = 3;
/// The name a probe asks for (as libevent: any answer will do).
const PROBE_NAME: &str = "www.google.com";

/// What to look up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// IPv4 addresses (`DNS_IPv4_A`).
    A,
    /// IPv6 addresses (`DNS_IPv6_AAAA`).
    Aaaa,
    /// The name of an address (`DNS_PTR`); the query name is the
    /// `in-addr.arpa`/`ip6.arpa` name.
    Ptr,
}

impl Kind {
    fn qtype(self) -> u16 {
        match self {
            Kind::A => wire::TYPE_A,
            Kind::Aaaa => wire::TYPE_AAAA,
            Kind::Ptr => wire::TYPE_PTR,
        }
    }
}

/// Why a lookup failed: libevent's `DNS_ERR_*` codes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DnsError {
    /// The nameserver could not read the query (RCODE 1).
    Format,
    /// The nameserver failed (RCODE 2).
    ServerFailed,
    /// The name does not exist (RCODE 3).
    NotExist,
    /// The nameserver does not do this kind of query (RCODE 4).
    NotImpl,
    /// The nameserver refused (RCODE 5).
    Refused,
    /// The reply was truncated and could not be had whole.
    Truncated,
    /// An unknown error (another RCODE, or an unreadable reply).
    Unknown,
    /// No reply in time, after every attempt.
    Timeout,
    /// The resolver was freed with the lookup pending.
    Shutdown,
    /// The lookup was cancelled.
    Cancel,
    /// The name exists but has no record of the type asked.
    NoData,
}

impl DnsError {
    /// The `DNS_ERR_*` number.
    ///
    /// ```
    /// use oxevent::dns::client::DnsError;
    /// assert_eq!(DnsError::Timeout.code(), 67);
    /// ```
    pub fn code(self) -> i32 {
        match self {
            DnsError::Format => 1,
            DnsError::ServerFailed => 2,
            DnsError::NotExist => 3,
            DnsError::NotImpl => 4,
            DnsError::Refused => 5,
            DnsError::Truncated => 65,
            DnsError::Unknown => 66,
            DnsError::Timeout => 67,
            DnsError::Shutdown => 68,
            DnsError::Cancel => 69,
            DnsError::NoData => 70,
        }
    }

    /// The error for a reply's RCODE (`None` for NOERROR).
    fn from_rcode(rcode: u8) -> Option<DnsError> {
        match rcode {
            0 => None,
            1 => Some(DnsError::Format),
            2 => Some(DnsError::ServerFailed),
            3 => Some(DnsError::NotExist),
            4 => Some(DnsError::NotImpl),
            5 => Some(DnsError::Refused),
            _ => Some(DnsError::Unknown),
        }
    }

    /// libevent's text for a `DNS_ERR_*` number (`evdns_err_to_string`).
    ///
    /// ```
    /// use oxevent::dns::client::DnsError;
    /// assert_eq!(DnsError::describe(3), "name does not exist");
    /// assert_eq!(DnsError::describe(1000), "[Unknown error code]");
    /// ```
    pub fn describe(code: i32) -> &'static str {
        match code {
            0 => "no error",
            1 => "misformatted query",
            2 => "server failed",
            3 => "name does not exist",
            4 => "query not implemented",
            5 => "refused",
            65 => "reply truncated or ill-formed",
            66 => "unknown",
            67 => "request timed out",
            68 => "dns subsystem shut down",
            69 => "dns request canceled",
            70 => "no records in the reply",
            _ => "[Unknown error code]",
        }
    }
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DnsError::describe(self.code()))
    }
}

impl std::error::Error for DnsError {}

/// A successful lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `Kind::A`: every A record of the answer section, in order.
    V4(Vec<Ipv4Addr>),
    /// `Kind::Aaaa`: every AAAA record.
    V6(Vec<Ipv6Addr>),
    /// `Kind::Ptr`: the first PTR record's name.
    Name(String),
}

/// An answer and its lifetime (the smallest TTL of the records used).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The records.
    pub answer: Answer,
    /// Seconds.
    pub ttl: u32,
}

/// A lookup's identity, for [`Client::cancel`] and in [`Output::Done`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueryId(u64);

/// A nameserver's place in [`Client::servers`].
pub type ServerIndex = usize;

/// What the driver must do next.
#[derive(Debug)]
pub enum Output {
    /// Send `bytes` to nameserver `server` at `addr`: as one UDP datagram,
    /// or with `tcp`, over a new TCP connection (with the two-byte length
    /// in front), the reply going to [`Client::handle_tcp_reply`] or the
    /// failure to [`Client::handle_tcp_failure`].
    Transmit {
        /// The nameserver.
        server: ServerIndex,
        /// Its address.
        addr: SocketAddr,
        /// Over TCP.
        tcp: bool,
        /// The query it belongs to (TCP results name it).
        query: QueryId,
        /// The DNS message.
        bytes: Vec<u8>,
    },
    /// A lookup finished (never reported for internal probes).
    Done {
        /// Which.
        query: QueryId,
        /// Its result.
        outcome: Result<Resolved, DnsError>,
        /// For a failure: how long the negative answer may be cached (for
        /// NXDOMAIN and NODATA with an SOA record in the authority section,
        /// the smaller of its TTL and its minimum field, as libevent
        /// reports it); 0 otherwise.
        negative_ttl: u32,
    },
}

/// The tunables `evdns_base_set_option` changes.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long to wait for each reply (`timeout:`).
    pub timeout: Duration,
    /// Transmissions per query before `DNS_ERR_TIMEOUT` (`attempts:`).
    pub attempts: u32,
    /// Names with fewer dots try the search list first (`ndots:`).
    pub ndots: u32,
    /// Timeouts in a row before a nameserver is marked down
    /// (`max-timeouts:`).
    pub max_timeouts: u32,
    /// Queries on the wire at once; the rest wait (`max-inflight:`).
    pub max_inflight: usize,
    /// 0x20 case randomization of query names (`randomize-case:`).
    pub randomize_case: bool,
    /// First wait before probing a server that went down
    /// (`initial-probe-timeout:`).
    pub initial_probe_timeout: Duration,
    /// How much longer each failed probe waits (`probe-backoff-factor:`).
    pub probe_backoff_factor: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            ndots: 1,
            max_timeouts: DEFAULT_MAX_TIMEOUTS,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            randomize_case: true,
            initial_probe_timeout: DEFAULT_PROBE_TIMEOUT,
            probe_backoff_factor: DEFAULT_PROBE_BACKOFF,
        }
    }
}

/// One nameserver.
#[derive(Clone, Debug)]
pub struct Server {
    /// Where queries go.
    pub addr: SocketAddr,
    /// Answering (not marked down).
    pub up: bool,
    /// Timeouts in a row.
    timeouts: u32,
    /// While down: when to probe, and the wait after that.
    probe_at: Option<Instant>,
    probe_wait: Duration,
    /// The probe in flight, if any.
    probe: Option<QueryId>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// Not on the wire (over `max_inflight`, suspended, or no server).
    Waiting,
    /// Sent over UDP, awaiting a reply.
    Udp,
    /// Sent over TCP after a truncated reply.
    Tcp,
}

#[derive(Debug)]
struct Query {
    kind: Kind,
    /// The names to try, in order (the search list applied).
    names: Vec<String>,
    /// Index into `names` of the name being tried.
    at: usize,
    /// The name as sent (0x20 case applied).
    sent_name: wire::Name,
    txid: u16,
    server: Option<ServerIndex>,
    /// Transmissions of the current name.
    tx: u32,
    deadline: Option<Instant>,
    state: State,
    /// The server this probe is for.
    probe_of: Option<ServerIndex>,
    /// The error of the last name tried (reported if none remains).
    last_error: Option<DnsError>,
    /// The negative TTL of the last NXDOMAIN or NODATA reply.
    neg_ttl: u32,
    /// Times sent to another server after REFUSED or NOTIMPL.
    reissues: u32,
}

/// A source of random bytes (fills the slice).
pub type RandomFn = Box<dyn FnMut(&mut [u8]) + Send>;

/// The resolver's state (see the module docs).
pub struct Client {
    /// Tunables; changes apply to the next transmission.
    pub options: Options,
    servers: Vec<Server>,
    /// Next server to try first (round robin).
    next_server: usize,
    search: Vec<String>,
    suspended: bool,
    queries: HashMap<QueryId, Query>,
    by_txid: HashMap<u16, QueryId>,
    /// Queries not on the wire, oldest first.
    waiting: VecDeque<QueryId>,
    inflight: usize,
    next_id: u64,
    out: VecDeque<Output>,
    log: VecDeque<(bool, String)>,
    rng: RandomFn,
    /// The time the current call was given.
    now: Instant,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("servers", &self.servers)
            .field("queries", &self.queries.len())
            .field("inflight", &self.inflight)
            .finish_non_exhaustive()
    }
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

/// The kernel's random bytes; a clock-seeded mix if `getrandom` fails
/// (it does not on any kernel this runs on).
fn os_random(buf: &mut [u8]) {
    if crate::sys::fill_random(buf).is_err() {
        let mut x = crate::sys::monotonic_ns(false) | 1;
        for b in buf {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
}

impl Client {
    /// A resolver with no nameserver, libevent's default options and the
    /// kernel's random numbers.
    ///
    /// ```
    /// use oxevent::dns::client::Client;
    /// let c = Client::new();
    /// assert!(c.servers().is_empty());
    /// ```
    pub fn new() -> Client {
        Client {
            options: Options::default(),
            servers: Vec::new(),
            next_server: 0,
            search: Vec::new(),
            suspended: false,
            queries: HashMap::new(),
            by_txid: HashMap::new(),
            waiting: VecDeque::new(),
            inflight: 0,
            next_id: 1,
            out: VecDeque::new(),
            log: VecDeque::new(),
            rng: Box::new(os_random),
            now: Instant::now(),
        }
    }

    /// Replaces the source of random bytes (transaction ids, 0x20 case):
    /// `evdns_set_random_bytes_fn`.
    pub fn set_random(&mut self, f: RandomFn) {
        self.rng = f;
    }

    fn random_u16(&mut self) -> u16 {
        let mut b = [0u8; 2];
        (self.rng)(&mut b);
        u16::from_ne_bytes(b)
    }

    // ------------------------------------------------------------ servers

    /// The nameservers, in the order added.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// Adds a nameserver (`evdns_base_nameserver_sockaddr_add`); adding
    /// one already there does nothing. Returns its index.
    ///
    /// ```
    /// use oxevent::dns::client::Client;
    /// let mut c = Client::new();
    /// let now = std::time::Instant::now();
    /// let a = c.add_server("127.0.0.1:53".parse().unwrap(), now);
    /// assert_eq!(c.add_server("127.0.0.1:53".parse().unwrap(), now), a);
    /// assert_eq!(c.servers().len(), 1);
    /// ```
    pub fn add_server(&mut self, addr: SocketAddr, now: Instant) -> ServerIndex {
        self.now = now;
        if let Some(i) = self.servers.iter().position(|s| s.addr == addr) {
            return i;
        }
        self.servers.push(Server {
            addr,
            up: true,
            timeouts: 0,
            probe_at: None,
            probe_wait: self.options.initial_probe_timeout,
            probe: None,
        });
        self.pump();
        self.servers.len() - 1
    }

    /// Removes every nameserver and holds queries until [`resume`]
    /// (`evdns_base_clear_nameservers_and_suspend`): queries on the wire go
    /// back to waiting, and a late reply from a removed server is dropped.
    ///
    /// [`resume`]: Self::resume
    pub fn clear_servers_and_suspend(&mut self) {
        let ids: Vec<QueryId> = self.queries.keys().copied().collect();
        for id in ids {
            let probe = self.queries.get(&id).is_some_and(|q| q.probe_of.is_some());
            if probe {
                self.remove(id);
                continue;
            }
            if let Some(q) = self.queries.get_mut(&id) {
                if q.state != State::Waiting {
                    q.state = State::Waiting;
                    q.server = None;
                    q.deadline = None;
                    self.by_txid.remove(&q.txid);
                    self.inflight -= 1;
                    self.waiting.push_front(id);
                }
            }
        }
        // Oldest first again.
        let mut w: Vec<QueryId> = self.waiting.drain(..).collect();
        w.sort();
        self.waiting = w.into();
        self.servers.clear();
        self.next_server = 0;
        self.suspended = true;
    }

    /// Sends what waited since the suspension (`evdns_base_resume`).
    pub fn resume(&mut self, now: Instant) {
        self.now = now;
        self.suspended = false;
        self.pump();
    }

    // ------------------------------------------------------------- search

    /// Empties the search list (`evdns_base_search_clear`).
    pub fn search_clear(&mut self) {
        self.search.clear();
    }

    /// Appends a domain (`evdns_base_search_add`); leading dots dropped.
    pub fn search_add(&mut self, domain: &str) {
        let d = domain.trim_start_matches('.');
        if !d.is_empty() {
            self.search.push(d.to_string());
        }
    }

    /// Puts a domain first in the search list, as libevent's
    /// `evdns_base_search_add` does (its list grows at the front).
    pub fn search_prepend(&mut self, domain: &str) {
        let d = domain.trim_start_matches('.');
        if !d.is_empty() {
            self.search.insert(0, d.to_string());
        }
    }

    /// The search list.
    pub fn search_list(&self) -> &[String] {
        &self.search
    }

    /// The names a lookup of `name` tries, in order (libevent's search
    /// rules: with at least `ndots` dots the name alone first, then with
    /// each domain; with fewer, each domain first and the name alone last).
    ///
    /// ```
    /// use oxevent::dns::client::Client;
    /// let mut c = Client::new();
    /// c.search_add("example.com");
    /// assert_eq!(c.candidates("www", true), ["www.example.com", "www"]);
    /// assert_eq!(c.candidates("a.b", true), ["a.b", "a.b.example.com"]);
    /// assert_eq!(c.candidates("www", false), ["www"]);
    /// assert_eq!(c.candidates("www.", true), ["www"]);
    /// ```
    pub fn candidates(&self, name: &str, search: bool) -> Vec<String> {
        if let Some(abs) = name.strip_suffix('.') {
            return vec![abs.to_string()];
        }
        if !search || self.search.is_empty() {
            return vec![name.to_string()];
        }
        let with = self.search.iter().map(|d| format!("{name}.{d}"));
        let dots = name.bytes().filter(|&b| b == b'.').count();
        if dots as u64 >= u64::from(self.options.ndots) {
            std::iter::once(name.to_string()).chain(with).collect()
        } else {
            with.chain(std::iter::once(name.to_string())).collect()
        }
    }

    // ------------------------------------------------------------ lookups

    /// Starts a lookup of `name`; `search`: apply the search list (not
    /// for PTR). Fails only on a name that cannot be sent (empty, a label
    /// over 63 bytes, over 255 bytes).
    ///
    /// ```
    /// use oxevent::dns::client::{Client, Kind, Output};
    /// let mut c = Client::new();
    /// let now = std::time::Instant::now();
    /// c.add_server("127.0.0.1:53".parse().unwrap(), now);
    /// let q = c.resolve("example.com", Kind::A, true, now).unwrap();
    /// match c.poll_output() {
    ///     Some(Output::Transmit { query, tcp: false, .. }) => assert_eq!(query, q),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn resolve(
        &mut self,
        name: &str,
        kind: Kind,
        search: bool,
        now: Instant,
    ) -> Result<QueryId, DnsError> {
        self.now = now;
        let names = self.candidates(name, search && kind != Kind::Ptr);
        for n in &names {
            if wire::Name::from_dotted(n.as_bytes()).map_or(true, |n| n.is_root()) {
                return Err(DnsError::Format);
            }
        }
        Ok(self.start(names, kind, None))
    }

    fn start(&mut self, names: Vec<String>, kind: Kind, probe_of: Option<ServerIndex>) -> QueryId {
        let id = QueryId(self.next_id);
        self.next_id += 1;
        self.queries.insert(
            id,
            Query {
                kind,
                names,
                at: 0,
                sent_name: wire::Name::root(),
                txid: 0,
                server: None,
                tx: 0,
                deadline: None,
                state: State::Waiting,
                probe_of,
                last_error: None,
                neg_ttl: 0,
                reissues: 0,
            },
        );
        if probe_of.is_some() {
            // Probes skip the queue: they are how the queue moves again.
            self.transmit(id);
        } else {
            self.waiting.push_back(id);
            self.pump();
        }
        id
    }

    /// Cancels a lookup: it is reported done with [`DnsError::Cancel`]
    /// (`evdns_cancel_request`). Unknown or finished ids are ignored.
    pub fn cancel(&mut self, id: QueryId, now: Instant) {
        self.now = now;
        if self.queries.get(&id).is_some_and(|q| q.probe_of.is_none()) {
            self.finish(id, Err(DnsError::Cancel));
        }
    }

    /// Ends every lookup with [`DnsError::Shutdown`] (`evdns_base_free`
    /// with `fail_requests`), or silently; the client stays suspended
    /// (until [`resume`](Self::resume)).
    pub fn shutdown(&mut self, report: bool) {
        // Nothing waiting may go out while the others are ended.
        self.suspended = true;
        let mut ids: Vec<QueryId> = self.queries.keys().copied().collect();
        ids.sort();
        for id in ids {
            let probe = self.queries.get(&id).is_some_and(|q| q.probe_of.is_some());
            if report && !probe {
                self.finish(id, Err(DnsError::Shutdown));
            } else {
                self.remove(id);
            }
        }
    }

    /// Whether `id` is a lookup not finished yet.
    pub fn is_pending(&self, id: QueryId) -> bool {
        self.queries.contains_key(&id)
    }

    /// Queries on the wire (probes included): 0 means no reply is awaited.
    pub fn in_flight(&self) -> usize {
        self.inflight
    }

    /// Lookups not finished yet (probes excluded).
    pub fn pending(&self) -> usize {
        self.queries
            .values()
            .filter(|q| q.probe_of.is_none())
            .count()
    }

    /// The next thing to send or report, oldest first.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The next log line: (is a warning, text).
    pub fn poll_log(&mut self) -> Option<(bool, String)> {
        self.log.pop_front()
    }

    fn note(&mut self, warn: bool, msg: String) {
        // Bounded: a flood of bad packets must not grow memory.
        if self.log.len() < 256 {
            self.log.push_back((warn, msg));
        }
    }

    // ------------------------------------------------------------- wiring

    /// Puts waiting queries on the wire while there is room.
    fn pump(&mut self) {
        while !self.suspended
            && !self.servers.is_empty()
            && self.inflight < self.options.max_inflight.max(1)
        {
            let Some(id) = self.waiting.pop_front() else {
                break;
            };
            if self.queries.contains_key(&id) {
                self.transmit(id);
            }
        }
    }

    /// The next server to use: round robin over those up, or over all of
    /// them when none is.
    fn pick_server(&mut self) -> Option<ServerIndex> {
        let n = self.servers.len();
        if n == 0 {
            return None;
        }
        let start = self.next_server % n;
        let pick = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| self.servers[i].up)
            .unwrap_or(start);
        self.next_server = (pick + 1) % n;
        Some(pick)
    }

    fn fresh_txid(&mut self) -> u16 {
        loop {
            let t = self.random_u16();
            if !self.by_txid.contains_key(&t) {
                return t;
            }
        }
    }

    /// Sends (or re-sends) the query's current name.
    fn transmit(&mut self, id: QueryId) {
        let server = match self.queries.get(&id).and_then(|q| q.probe_of) {
            Some(s) => Some(s),
            None => self.pick_server(),
        };
        let Some(server) = server else {
            if let Some(q) = self.queries.get_mut(&id) {
                q.state = State::Waiting;
            }
            self.waiting.push_front(id);
            return;
        };
        let fresh_name = self.queries.get(&id).is_some_and(|q| q.tx == 0);
        let txid = if fresh_name {
            self.fresh_txid()
        } else {
            self.queries[&id].txid
        };
        let randomize = self.options.randomize_case;
        let mut case_bits = Vec::new();
        if fresh_name && randomize {
            let len = self.queries[&id].names[self.queries[&id].at].len();
            case_bits = vec![0u8; len.div_ceil(8)];
            (self.rng)(&mut case_bits);
        }
        let timeout = self.options.timeout;
        let addr = self.servers[server].addr;
        let was_waiting;
        let bytes;
        {
            let q = self.queries.get_mut(&id).expect("query exists");
            if fresh_name {
                // Checked by `resolve` (probes use a constant name).
                let name = wire::Name::from_dotted(q.names[q.at].as_bytes())
                    .unwrap_or_else(|_| wire::Name::root());
                q.sent_name = if randomize {
                    name.randomize_case(&case_bits)
                } else {
                    name
                };
                q.txid = txid;
            }
            was_waiting = q.state == State::Waiting;
            q.server = Some(server);
            q.tx += 1;
            q.state = State::Udp;
            q.deadline = Some(self.now + timeout);
            bytes = encode_query(q.txid, &q.sent_name, q.kind.qtype());
        }
        if was_waiting {
            self.inflight += 1;
        }
        self.by_txid.insert(txid, id);
        match bytes {
            Ok(bytes) => self.out.push_back(Output::Transmit {
                server,
                addr,
                tcp: false,
                query: id,
                bytes,
            }),
            Err(_) => self.finish(id, Err(DnsError::Format)),
        }
    }

    /// Removes a query from every table.
    fn remove(&mut self, id: QueryId) -> Option<Query> {
        let q = self.queries.remove(&id)?;
        if q.state != State::Waiting {
            self.inflight -= 1;
            if self.by_txid.get(&q.txid) == Some(&id) {
                self.by_txid.remove(&q.txid);
            }
        } else {
            self.waiting.retain(|&w| w != id);
        }
        if let Some(s) = q.probe_of {
            if let Some(srv) = self.servers.get_mut(s) {
                if srv.probe == Some(id) {
                    srv.probe = None;
                }
            }
        }
        Some(q)
    }

    fn finish(&mut self, id: QueryId, outcome: Result<Resolved, DnsError>) {
        if let Some(q) = self.remove(id) {
            if q.probe_of.is_none() {
                let negative_ttl = if outcome.is_err() { q.neg_ttl } else { 0 };
                self.out.push_back(Output::Done {
                    query: id,
                    outcome,
                    negative_ttl,
                });
            }
        }
        self.pump();
    }

    /// The query goes on with its next name, or ends with `err`.
    fn next_name_or_fail(&mut self, id: QueryId, err: DnsError) {
        let more = {
            let Some(q) = self.queries.get_mut(&id) else {
                return;
            };
            q.last_error = Some(err);
            q.at + 1 < q.names.len()
        };
        if !more {
            self.finish(id, Err(err));
            return;
        }
        let q = self.queries.get_mut(&id).expect("query exists");
        q.at += 1;
        q.tx = 0;
        let old = q.txid;
        if self.by_txid.get(&old) == Some(&id) {
            self.by_txid.remove(&old);
        }
        self.transmit(id);
    }

    // ------------------------------------------------------------ replies

    /// A datagram from `from`, received on the socket of server `server`.
    /// Anything that does not answer a query in flight to that server is
    /// dropped with a log line.
    pub fn handle_reply(
        &mut self,
        server: ServerIndex,
        from: SocketAddr,
        bytes: &[u8],
        now: Instant,
    ) {
        self.now = now;
        let Some(srv) = self.servers.get(server) else {
            self.note(
                true,
                format!("evdns: reply from {from} for a removed nameserver: dropped"),
            );
            return;
        };
        if srv.addr != from {
            let msg = format!("evdns: reply from {from}, expected {}: dropped", srv.addr);
            self.note(true, msg);
            return;
        }
        self.handle_message(server, bytes, false);
    }

    /// The reply that came over TCP for `query` (without the length
    /// prefix).
    pub fn handle_tcp_reply(&mut self, query: QueryId, bytes: &[u8], now: Instant) {
        self.now = now;
        let Some(q) = self.queries.get(&query) else {
            return;
        };
        let (Some(server), State::Tcp) = (q.server, q.state) else {
            return;
        };
        self.handle_message(server, bytes, true);
    }

    /// The TCP exchange for `query` failed (connect, write, read or EOF):
    /// the truncated reply's error stands.
    pub fn handle_tcp_failure(&mut self, query: QueryId, now: Instant) {
        self.now = now;
        if self
            .queries
            .get(&query)
            .is_some_and(|q| q.state == State::Tcp)
        {
            self.finish(query, Err(DnsError::Truncated));
        }
    }

    fn handle_message(&mut self, server: ServerIndex, bytes: &[u8], over_tcp: bool) {
        let reply = match decode_reply(bytes) {
            Ok(r) => r,
            Err(why) => {
                let msg = format!(
                    "evdns: unreadable reply from {}: {why}",
                    self.servers[server].addr
                );
                self.note(true, msg);
                return;
            }
        };
        if !reply.response {
            self.note(
                true,
                "evdns: a query, not a reply, on a resolver socket: dropped".into(),
            );
            return;
        }
        let Some(&id) = self.by_txid.get(&reply.txid) else {
            self.note(
                false,
                format!("evdns: reply with unknown id {}: dropped", reply.txid),
            );
            return;
        };
        let q = &self.queries[&id];
        let expected_state = if over_tcp { State::Tcp } else { State::Udp };
        if q.server != Some(server) || q.state != expected_state {
            self.note(
                true,
                format!(
                    "evdns: reply with id {} from the wrong nameserver: dropped",
                    reply.txid
                ),
            );
            return;
        }
        let echoed = reply.question.as_ref().is_some_and(|(name, qtype)| {
            *qtype == q.kind.qtype()
                && if self.options.randomize_case {
                    *name == q.sent_name
                } else {
                    name.eq_ignore_case(&q.sent_name)
                }
        });
        if !echoed {
            self.note(
                true,
                format!(
                    "evdns: reply with id {} does not echo the question: dropped",
                    reply.txid
                ),
            );
            return;
        }
        let probe = q.probe_of.is_some();
        // The server answered: it is alive.
        self.server_answered(server);
        if probe {
            self.finish(id, Err(DnsError::Cancel));
            return;
        }
        if reply.truncated && !over_tcp {
            let q = self.queries.get_mut(&id).expect("query exists");
            q.state = State::Tcp;
            q.deadline = Some(self.now + self.options.timeout);
            let bytes = encode_query(q.txid, &q.sent_name, q.kind.qtype());
            let addr = self.servers[server].addr;
            match bytes {
                Ok(bytes) => self.out.push_back(Output::Transmit {
                    server,
                    addr,
                    tcp: true,
                    query: id,
                    bytes,
                }),
                Err(_) => self.finish(id, Err(DnsError::Truncated)),
            }
            return;
        }
        let neg_ttl = negative_ttl(&reply);
        match DnsError::from_rcode(reply.rcode) {
            None => {}
            Some(DnsError::NotExist) => {
                if let Some(q) = self.queries.get_mut(&id) {
                    q.neg_ttl = neg_ttl;
                }
                return self.next_name_or_fail(id, DnsError::NotExist);
            }
            // libevent: SERVFAIL sometimes means "broken" and sometimes
            // "confused by this query": it counts as a timeout (sent again
            // at once while attempts remain, then DNS_ERR_TIMEOUT).
            Some(DnsError::ServerFailed) => return self.timed_out(id, Some(server)),
            Some(e @ (DnsError::Refused | DnsError::NotImpl)) => {
                // A bad server: marked down, and the query goes to another
                // one if there is one up.
                self.server_failed(server);
                return self.reissue_or_fail(id, server, e);
            }
            Some(e) => return self.finish(id, Err(e)),
        }
        let kind = self.queries[&id].kind;
        match answer_of(&reply, kind) {
            Some(resolved) => self.finish(id, Ok(resolved)),
            None => {
                if let Some(q) = self.queries.get_mut(&id) {
                    q.neg_ttl = neg_ttl;
                }
                self.next_name_or_fail(id, DnsError::NoData)
            }
        }
    }

    fn server_answered(&mut self, server: ServerIndex) {
        let initial = self.options.initial_probe_timeout;
        let srv = &mut self.servers[server];
        srv.timeouts = 0;
        if !srv.up {
            srv.up = true;
            srv.probe_at = None;
            srv.probe_wait = initial;
            let addr = srv.addr;
            self.note(false, format!("evdns: nameserver {addr} is back up"));
        }
    }

    fn server_failed(&mut self, server: ServerIndex) {
        let now = self.now;
        let srv = &mut self.servers[server];
        if !srv.up {
            return;
        }
        srv.up = false;
        srv.probe_at = Some(now + srv.probe_wait);
        let addr = srv.addr;
        self.note(true, format!("evdns: nameserver {addr} is down"));
    }

    /// After REFUSED or NOTIMPL from `server`: the query goes to another
    /// server that is up (at most `attempts` times), or ends with `err`.
    fn reissue_or_fail(&mut self, id: QueryId, server: ServerIndex, err: DnsError) {
        let other = self
            .servers
            .iter()
            .enumerate()
            .any(|(i, s)| i != server && s.up);
        let Some(q) = self.queries.get_mut(&id) else {
            return;
        };
        if !other || q.reissues >= self.options.attempts.max(1) {
            self.finish(id, Err(err));
            return;
        }
        q.reissues += 1;
        // A fresh transmission (new id, new case), as libevent's reissue
        // starts the count again.
        q.tx = 0;
        let old = q.txid;
        if self.by_txid.get(&old) == Some(&id) {
            self.by_txid.remove(&old);
        }
        self.transmit(id);
    }

    /// A query got no usable reply in time (or SERVFAIL): the server's
    /// timeouts count up, and the query is sent again or times out.
    fn timed_out(&mut self, id: QueryId, server: Option<ServerIndex>) {
        if let Some(s) = server {
            let max = self.options.max_timeouts.max(1);
            if let Some(srv) = self.servers.get_mut(s) {
                srv.timeouts += 1;
                if srv.timeouts >= max {
                    self.server_failed(s);
                }
            }
        }
        self.retry_or_fail(id, DnsError::Timeout);
    }

    fn retry_or_fail(&mut self, id: QueryId, err: DnsError) {
        let Some(q) = self.queries.get(&id) else {
            return;
        };
        if q.tx >= self.options.attempts.max(1) || q.state == State::Tcp {
            self.finish(id, Err(err));
        } else {
            self.transmit(id);
        }
    }

    // ------------------------------------------------------------- timers

    /// The earliest instant [`handle_timeouts`](Self::handle_timeouts) has
    /// work to do, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        let q = self.queries.values().filter_map(|q| q.deadline);
        let p = self
            .servers
            .iter()
            .filter(|s| s.probe.is_none())
            .filter_map(|s| s.probe_at);
        q.chain(p).min()
    }

    /// Handles every deadline at or before `now`: retransmits, timeouts,
    /// servers marked down, probes sent.
    pub fn handle_timeouts(&mut self, now: Instant) {
        self.now = now;
        let mut due: Vec<QueryId> = self
            .queries
            .iter()
            .filter(|(_, q)| q.deadline.is_some_and(|d| d <= now))
            .map(|(&id, _)| id)
            .collect();
        due.sort();
        for id in due {
            let Some(q) = self.queries.get(&id) else {
                continue;
            };
            let server = q.server;
            let probe = q.probe_of;
            let tcp = q.state == State::Tcp;
            if let Some(s) = probe {
                self.remove(id);
                self.probe_failed(s, now);
                continue;
            }
            if tcp {
                self.finish(id, Err(DnsError::Truncated));
                continue;
            }
            self.timed_out(id, server);
        }
        let probes: Vec<ServerIndex> = (0..self.servers.len())
            .filter(|&i| {
                let s = &self.servers[i];
                !s.up && s.probe.is_none() && s.probe_at.is_some_and(|t| t <= now)
            })
            .collect();
        for s in probes {
            let id = self.start(vec![PROBE_NAME.to_string()], Kind::A, Some(s));
            self.servers[s].probe = Some(id);
        }
    }

    fn probe_failed(&mut self, server: ServerIndex, now: Instant) {
        let factor = self.options.probe_backoff_factor.max(1);
        if let Some(srv) = self.servers.get_mut(server) {
            srv.probe = None;
            srv.probe_wait = (srv.probe_wait * factor).min(MAX_PROBE_TIMEOUT);
            srv.probe_at = Some(now + srv.probe_wait);
        }
    }
}

/// What the client needs from a reply.
struct Reply {
    txid: u16,
    /// QR is set.
    response: bool,
    truncated: bool,
    rcode: u8,
    /// The first question: (name, type).
    question: Option<(wire::Name, u16)>,
    answers: Vec<wire::Record>,
    authority: Vec<wire::Record>,
}

/// NXDOMAIN's or NODATA's cache time: the smaller of the SOA record's TTL
/// and its minimum field (the last four bytes of its data), 0 without one.
fn negative_ttl(reply: &Reply) -> u32 {
    reply
        .authority
        .iter()
        .filter(|r| r.rtype == wire::TYPE_SOA)
        .find_map(|r| match &r.data {
            wire::RData::Other(d) if d.len() >= 22 => {
                let m = &d[d.len() - 4..];
                Some(r.ttl.min(u32::from_be_bytes([m[0], m[1], m[2], m[3]])))
            }
            _ => None,
        })
        .unwrap_or(0)
}

fn encode_query(txid: u16, name: &wire::Name, qtype: u16) -> Result<Vec<u8>, wire::WireError> {
    let mut m = wire::Message::new(wire::Header {
        id: txid,
        flags: wire::Flags::RD,
    });
    m.questions.push(wire::Question::new(name.clone(), qtype));
    m.encode(wire::UDP_MAX_LEN)
}

fn decode_reply(bytes: &[u8]) -> Result<Reply, wire::WireError> {
    let m = wire::Message::parse(bytes)?;
    Ok(Reply {
        txid: m.header.id,
        response: m.header.flags.contains(wire::Flags::QR),
        truncated: m.header.flags.contains(wire::Flags::TC),
        rcode: m.header.flags.rcode(),
        question: m.questions.into_iter().next().map(|q| (q.name, q.qtype)),
        answers: m.answers,
        authority: m.authority,
    })
}

/// The records of the type asked, or `None` when there are none.
fn answer_of(reply: &Reply, kind: Kind) -> Option<Resolved> {
    let mut ttl = u32::MAX;
    let answer = match kind {
        Kind::A => {
            let v: Vec<Ipv4Addr> = reply
                .answers
                .iter()
                .filter_map(|r| match r.data {
                    wire::RData::A(a) => {
                        ttl = ttl.min(r.ttl);
                        Some(a)
                    }
                    _ => None,
                })
                .collect();
            (!v.is_empty()).then_some(Answer::V4(v))?
        }
        Kind::Aaaa => {
            let v: Vec<Ipv6Addr> = reply
                .answers
                .iter()
                .filter_map(|r| match r.data {
                    wire::RData::Aaaa(a) => {
                        ttl = ttl.min(r.ttl);
                        Some(a)
                    }
                    _ => None,
                })
                .collect();
            (!v.is_empty()).then_some(Answer::V6(v))?
        }
        Kind::Ptr => reply.answers.iter().find_map(|r| match &r.data {
            wire::RData::Ptr(n) => {
                ttl = r.ttl;
                Some(Answer::Name(
                    String::from_utf8_lossy(&n.to_dotted()).into_owned(),
                ))
            }
            _ => None,
        })?,
    };
    Some(Resolved { answer, ttl })
}
