//! The Rust face's resolver: [`client::Client`](super::client::Client)
//! driven by a [`Base`]: one connected UDP socket per nameserver, one
//! timer for the client's next deadline, and callbacks that get the
//! dispatch's `&mut D`, run from the loop (never inside
//! [`Resolver::resolve`]).
//!
//! Limitation, for now: a reply truncated over UDP is not retried over TCP
//! here (the C face does it); the lookup ends with
//! [`DnsError::Truncated`].

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::rc::Rc;
use std::time::Instant;

use super::client::{Client, DnsError, Kind, Options, Output, QueryId, Resolved};
use crate::api::WeakBase;
use crate::{Base, Error, Ev, EventId, Result};

type Callback<D> = Box<dyn FnOnce(&mut D, std::result::Result<Resolved, DnsError>)>;

struct Sock(Rc<OwnedFd>);

impl AsFd for Sock {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

struct Shared<D: 'static> {
    base: WeakBase<D>,
    client: RefCell<Client>,
    /// Per server index: the socket and its read event.
    socks: RefCell<Vec<(Rc<OwnedFd>, EventId)>>,
    timer: Cell<Option<EventId>>,
    deliver: Cell<Option<EventId>>,
    cbs: RefCell<HashMap<QueryId, Callback<D>>>,
    ready: RefCell<VecDeque<(QueryId, std::result::Result<Resolved, DnsError>)>>,
}

/// An asynchronous resolver on a [`Base`] (libevent's `evdns_base`).
///
/// ```
/// use oxevent::dns::client::Kind;
/// use oxevent::dns::resolver::Resolver;
/// use oxevent::Base;
///
/// let base = Base::<Vec<String>>::new().unwrap();
/// let r = Resolver::new(&base).unwrap();
/// // No nameserver is needed for a name that cannot be sent.
/// assert!(r.resolve("", Kind::A, |_: &mut Vec<String>, _| {}).is_err());
/// ```
pub struct Resolver<D: 'static> {
    sh: Rc<Shared<D>>,
}

impl<D: 'static> std::fmt::Debug for Resolver<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}

impl<D: 'static> Resolver<D> {
    /// A resolver with no nameserver on `base`.
    pub fn new(base: &Base<D>) -> Result<Resolver<D>> {
        let sh = Rc::new(Shared {
            base: base.downgrade(),
            client: RefCell::new(Client::new()),
            socks: RefCell::new(Vec::new()),
            timer: Cell::new(None),
            deliver: Cell::new(None),
            cbs: RefCell::new(HashMap::new()),
            ready: RefCell::new(VecDeque::new()),
        });
        let weak = Rc::downgrade(&sh);
        let timer = base.timer(move |_: &mut D, _b: &Base<D>, _| {
            if let Some(sh) = weak.upgrade() {
                sh.client.borrow_mut().handle_timeouts(Instant::now());
                settle(&sh);
            }
        })?;
        sh.timer.set(Some(timer));
        let weak = Rc::downgrade(&sh);
        let deliver = base.timer(move |d: &mut D, _b: &Base<D>, _| {
            if let Some(sh) = weak.upgrade() {
                deliver_ready(&sh, d);
            }
        })?;
        sh.deliver.set(Some(deliver));
        Ok(Resolver { sh })
    }

    /// Adds a nameserver (a connected UDP socket is opened for it).
    pub fn add_nameserver(&self, addr: SocketAddr) -> Result<()> {
        let base = self.sh.base.upgrade().ok_or(Error::NoSuchEvent)?;
        let index = self.sh.client.borrow().servers().len();
        if self
            .sh
            .client
            .borrow()
            .servers()
            .iter()
            .any(|s| s.addr == addr)
        {
            return Ok(());
        }
        let fd = Rc::new(super::udp_connect(addr)?);
        let weak = Rc::downgrade(&self.sh);
        let raw = fd.as_raw_fd();
        let ev = base.io(
            Sock(fd.clone()),
            Ev::READ | Ev::PERSIST,
            move |_: &mut D, _b: &Base<D>, _io, _| {
                if let Some(sh) = weak.upgrade() {
                    read_replies(&sh, index, raw);
                }
            },
        )?;
        base.add(ev, None)?;
        self.sh.socks.borrow_mut().push((fd, ev));
        self.sh.client.borrow_mut().add_server(addr, Instant::now());
        settle(&self.sh);
        Ok(())
    }

    /// The tunables (timeout, attempts, ndots, ...).
    pub fn set_options(&self, options: Options) {
        self.sh.client.borrow_mut().options = options;
    }

    /// Appends a domain to the search list.
    pub fn search_add(&self, domain: &str) {
        self.sh.client.borrow_mut().search_add(domain);
    }

    /// Starts a lookup of `name` (with the search list); `f` gets the
    /// result from the loop.
    pub fn resolve(
        &self,
        name: &str,
        kind: Kind,
        f: impl FnOnce(&mut D, std::result::Result<Resolved, DnsError>) + 'static,
    ) -> std::result::Result<QueryId, DnsError> {
        let id =
            self.sh
                .client
                .borrow_mut()
                .resolve(name, kind, kind != Kind::Ptr, Instant::now())?;
        self.sh.cbs.borrow_mut().insert(id, Box::new(f));
        settle(&self.sh);
        Ok(id)
    }

    /// Cancels a lookup: its callback gets [`DnsError::Cancel`].
    pub fn cancel(&self, id: QueryId) {
        self.sh.client.borrow_mut().cancel(id, Instant::now());
        settle(&self.sh);
    }

    /// Lookups not finished yet.
    pub fn pending(&self) -> usize {
        self.sh.cbs.borrow().len()
    }
}

impl<D: 'static> Drop for Resolver<D> {
    fn drop(&mut self) {
        // Pending callbacks are dropped without being called.
        if let Some(base) = self.sh.base.upgrade() {
            for (_, ev) in self.sh.socks.borrow_mut().drain(..) {
                let _ = base.free(ev);
            }
            for ev in [self.sh.timer.take(), self.sh.deliver.take()]
                .into_iter()
                .flatten()
            {
                let _ = base.free(ev);
            }
        }
        self.sh.cbs.borrow_mut().clear();
    }
}

fn read_replies<D: 'static>(sh: &Rc<Shared<D>>, server: usize, fd: std::os::fd::RawFd) {
    let mut buf = vec![0u8; 65536];
    let Some(from) = sh.client.borrow().servers().get(server).map(|s| s.addr) else {
        return;
    };
    for _ in 0..64 {
        match crate::sys::read_into(fd, &mut buf) {
            Ok(n) => sh
                .client
                .borrow_mut()
                .handle_reply(server, from, &buf[..n], Instant::now()),
            Err(_) => break,
        }
    }
    settle(sh);
}

/// Sends what the client wants sent, queues what finished, re-arms the
/// timer.
fn settle<D: 'static>(sh: &Rc<Shared<D>>) {
    let Some(base) = sh.base.upgrade() else {
        return;
    };
    let mut queued = false;
    loop {
        let out = sh.client.borrow_mut().poll_output();
        let Some(out) = out else {
            break;
        };
        match out {
            Output::Transmit {
                server,
                tcp: false,
                bytes,
                ..
            } => {
                if let Some((fd, _)) = sh.socks.borrow().get(server) {
                    // A lost datagram is retransmitted on the timer.
                    let _ = crate::sys::send_datagram(fd.as_fd(), &bytes);
                }
            }
            Output::Transmit {
                query, tcp: true, ..
            } => {
                sh.client
                    .borrow_mut()
                    .handle_tcp_failure(query, Instant::now());
            }
            Output::Done { query, outcome, .. } => {
                sh.ready.borrow_mut().push_back((query, outcome));
                queued = true;
            }
        }
    }
    while sh.client.borrow_mut().poll_log().is_some() {}
    if queued {
        if let Some(d) = sh.deliver.get() {
            let _ = base.activate(d, Ev::TIMEOUT);
        }
    }
    if let Some(t) = sh.timer.get() {
        let next = sh.client.borrow().next_deadline();
        match next {
            Some(at) => {
                let _ = base.add(t, Some(at.saturating_duration_since(Instant::now())));
            }
            None => {
                let _ = base.del(t);
            }
        }
    }
}

fn deliver_ready<D: 'static>(sh: &Rc<Shared<D>>, d: &mut D) {
    loop {
        let next = sh.ready.borrow_mut().pop_front();
        let Some((q, outcome)) = next else {
            break;
        };
        let cb = sh.cbs.borrow_mut().remove(&q);
        if let Some(cb) = cb {
            cb(d, outcome);
        }
    }
}
