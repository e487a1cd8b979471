//! dns.h's configuration calls: `evdns_base_resolv_conf_parse`,
//! `evdns_base_set_option`, `evdns_base_load_hosts`,
//! `evdns_base_clear_host_addresses`. The engine reads the files and checks
//! the values (`oxevent::dns::resolv_conf`, `oxevent::dns::hosts`); this
//! module applies the result to an `evdns_base` and logs every skipped
//! line.
//!
//! Options libevent 2.1.12 accepts that oxevent stores but does not apply
//! yet, each with a log line when set: `bind-to:`, `so-rcvbuf:`,
//! `so-sndbuf:` and `getaddrinfo-allow-skew:` (evdns_getaddrinfo waits for
//! both address families).

use std::ffi::{c_char, c_int, CStr};
use std::net::{IpAddr, SocketAddr};

use oxevent::dns::client::Client;
use oxevent::dns::hosts::Hosts;
use oxevent::dns::resolv_conf::{self, DnsOption, ResolvConf};

use crate::boundary::{guard, warnx};
use crate::dns::{add_nameserver, dns_ref, EvdnsBase};

pub(crate) const DNS_OPTIONS_ALL: c_int = resolv_conf::DNS_OPTIONS_ALL as c_int;
pub(crate) const DNS_OPTION_NAMESERVERS_NO_DEFAULT: c_int =
    resolv_conf::DNS_OPTION_NAMESERVERS_NO_DEFAULT as c_int;

/// A nameserver as `evdns_base_nameserver_ip_add` takes it (`1.2.3.4`,
/// `1.2.3.4:53`, `::1`, `[::1]:53`).
pub(crate) fn parse_nameserver(text: &str) -> Option<SocketAddr> {
    resolv_conf::parse_nameserver_addr(text)
}

/// Applies one option to the resolver.
fn apply_option(client: &mut Client, opt: &DnsOption) {
    let o = &mut client.options;
    match *opt {
        DnsOption::Ndots(n) => o.ndots = n.max(0) as u32,
        DnsOption::Timeout(d) => o.timeout = d,
        DnsOption::MaxTimeouts(n) => o.max_timeouts = u32::from(n),
        DnsOption::MaxInflight(n) => o.max_inflight = usize::from(n),
        DnsOption::Attempts(n) => o.attempts = n.clamp(1, 255) as u32,
        DnsOption::RandomizeCase(on) => o.randomize_case = on,
        DnsOption::InitialProbeTimeout(d) => o.initial_probe_timeout = d,
        DnsOption::GetaddrinfoAllowSkew(_)
        | DnsOption::BindTo(_)
        | DnsOption::SoRcvbuf(_)
        | DnsOption::SoSndbuf(_) => warnx(&format!(
            "evdns: option {} is accepted but not applied by oxevent yet",
            opt.name()
        )),
        DnsOption::Unknown(_) => {}
    }
}

fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its length; gethostname NUL-terminates
    // within it on success (the last byte stays 0 for a cut name).
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
    if r != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// `evdns_base_resolv_conf_parse` on a live base.
pub(crate) fn resolv_conf_parse(d: &EvdnsBase, flags: c_int, path: &str) -> c_int {
    let flags = flags as u32;
    let (mut conf, code) = match resolv_conf::read_resolv_conf(path, flags) {
        Ok(conf) => {
            let code = conf.code();
            (conf, code)
        }
        Err(e) => {
            warnx(&format!("evdns: unable to read {path}: {e}"));
            let code = e.code();
            let conf = if code == 1 {
                ResolvConf::missing_file(flags)
            } else {
                return code;
            };
            (conf, code)
        }
    };
    for w in &conf.warnings {
        warnx(&format!(
            "evdns: {path}:{}: skipped: {:?} ({:?})",
            w.line, w.text, w.reason
        ));
    }
    let mut code = code;
    let had_servers = !d.lock().client.servers().is_empty();
    let had_domains = !d.lock().client.search_list().is_empty();
    if conf.search_from_hostname && !(conf.search.is_none() && had_domains) {
        conf.apply_hostname(host_name().as_deref());
    }
    if conf.load_hosts {
        if let Ok(h) = Hosts::read("/etc/hosts") {
            d.lock().hosts.extend(h);
        }
    }
    d.with(|i| {
        if let Some(list) = &conf.search {
            i.client.search_clear();
            for dom in list {
                i.client.search_add(dom);
            }
            i.client.options.ndots = 1;
        }
        for opt in &conf.options {
            apply_option(&mut i.client, opt);
        }
        if let Some(n) = conf.ndots {
            i.client.options.ndots = n.max(0) as u32;
        }
    });
    if conf.default_nameserver && had_servers {
        // libevent adds the default only to a resolver with no nameserver.
        code = 0;
    } else {
        for a in &conf.nameservers {
            add_nameserver(d, *a);
        }
    }
    code
}

fn text_arg(p: *const c_char) -> Option<String> {
    // SAFETY: NULL or NUL-terminated, per the API.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// `evdns_base_resolv_conf_parse`: 0, or 1 (cannot open), 2 (cannot
/// stat), 3 (too large), 4 (out of memory), 5 (short read), 6 (no
/// nameserver: 127.0.0.1 added).
#[no_mangle]
pub extern "C" fn evdns_base_resolv_conf_parse(
    base: *mut EvdnsBase,
    flags: c_int,
    filename: *const c_char,
) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_resolv_conf_parse") else {
            return -1;
        };
        let Some(path) = text_arg(filename) else {
            warnx("evdns_base_resolv_conf_parse: NULL file name");
            return 1;
        };
        resolv_conf_parse(d, flags, &path)
    })
}

/// Applies `option` = `val` if `flags` allow its kind (`DNS_OPTION_*`).
pub(crate) fn set_option(d: &EvdnsBase, option: &str, val: &str, flags: u32) -> c_int {
    match resolv_conf::parse_option(option, val) {
        Ok(opt) => {
            if flags & opt.required_flag() != 0 {
                d.with(|i| apply_option(&mut i.client, &opt));
            }
            0
        }
        Err(e) => {
            warnx(&format!("evdns_base_set_option: {option} {e}"));
            -1
        }
    }
}

/// `evdns_base_set_option`.
#[no_mangle]
pub extern "C" fn evdns_base_set_option(
    base: *mut EvdnsBase,
    option: *const c_char,
    val: *const c_char,
) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_set_option") else {
            return -1;
        };
        let (Some(o), Some(v)) = (text_arg(option), text_arg(val)) else {
            warnx("evdns_base_set_option: NULL option or value");
            return -1;
        };
        set_option(d, &o, &v, resolv_conf::DNS_OPTIONS_ALL)
    })
}

/// `evdns_base_load_hosts`: adds a hosts file's entries (NULL:
/// `/etc/hosts`); 0, or -1 if it cannot be read.
#[no_mangle]
pub extern "C" fn evdns_base_load_hosts(base: *mut EvdnsBase, hosts_fname: *const c_char) -> c_int {
    guard(-1, || {
        let Some(d) = dns_ref(base, "evdns_base_load_hosts") else {
            return -1;
        };
        let path = text_arg(hosts_fname).unwrap_or_else(|| "/etc/hosts".into());
        match Hosts::read(&path) {
            Ok(h) => {
                for w in &h.warnings {
                    warnx(&format!("evdns: {path}:{}: skipped: {:?}", w.line, w.text));
                }
                d.lock().hosts.extend(h);
                0
            }
            Err(e) => {
                warnx(&format!("evdns_base_load_hosts: {path}: {e}"));
                -1
            }
        }
    })
}

/// `evdns_base_clear_host_addresses`.
#[no_mangle]
pub extern "C" fn evdns_base_clear_host_addresses(base: *mut EvdnsBase) {
    guard((), || {
        if let Some(d) = dns_ref(base, "evdns_base_clear_host_addresses") {
            d.lock().hosts = Hosts::new();
        }
    })
}

/// The hosts entries for `name` (for `evdns_getaddrinfo`), if any.
pub(crate) fn hosts_lookup(d: &EvdnsBase, name: &str, family: c_int) -> Option<Vec<IpAddr>> {
    use oxevent::dns::hosts::Family;
    let fam = match family {
        libc::AF_INET => Family::V4,
        libc::AF_INET6 => Family::V6,
        _ => Family::Any,
    };
    d.lock().hosts.lookup(name, fam).filter(|v| !v.is_empty())
}
