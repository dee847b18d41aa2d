//! Where the registry client may go and what it may carry there. The registry is not trusted
//! beyond its own origin: it can redirect a download anywhere and name any token realm, so
//! every hop and every realm passes through these rules before a byte is sent.
//!
//! - Plain HTTP only to loopback (`--plain-http`), or to the hosts named with
//!   `--insecure-registry` (Docker's and Podman's word for the same thing).
//! - The user's credentials (Basic, a refresh token) never travel in clear to a host that is
//!   not loopback, and never to an `http://` token realm when the registry is https.
//! - A redirect never goes from https to http, and never to a loopback, private or link-local
//!   address unless the registry itself is on one of the same kind (so a public registry
//!   cannot point us at the cloud's metadata service or the runner's own ports).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

use reqwest::Url;

/// What kind of network an address is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    Public,
    /// 127/8, ::1, 0.0.0.0/8 and :: (which Linux connects to this host).
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, 100.64/10 (shared), fc00::/7, fec0::/10.
    Private,
    /// 169.254/16 (the instance metadata service), fe80::/10.
    LinkLocal,
    /// Multicast, broadcast: never a registry or a storage host.
    Never,
}

impl Reach {
    pub fn of(ip: IpAddr) -> Reach {
        match ip {
            IpAddr::V4(v4) => of_v4(v4),
            IpAddr::V6(v6) => {
                // An IPv4 address written as IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96)
                // is that IPv4 address.
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return of_v4(v4);
                }
                let s = v6.segments();
                if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                    return of_v4(Ipv4Addr::new(
                        (s[6] >> 8) as u8,
                        s[6] as u8,
                        (s[7] >> 8) as u8,
                        s[7] as u8,
                    ));
                }
                if v6.is_loopback() || v6.is_unspecified() {
                    Reach::Loopback
                } else if v6.is_multicast() {
                    Reach::Never
                } else if s[0] & 0xffc0 == 0xfe80 {
                    Reach::LinkLocal
                } else if s[0] & 0xfe00 == 0xfc00 || s[0] & 0xffc0 == 0xfec0 {
                    Reach::Private
                } else {
                    Reach::Public
                }
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Reach::Public => "a public address",
            Reach::Loopback => "a loopback address",
            Reach::Private => "a private address",
            Reach::LinkLocal => "a link-local address",
            Reach::Never => "a multicast or broadcast address",
        }
    }
}

fn of_v4(ip: Ipv4Addr) -> Reach {
    let o = ip.octets();
    if ip.is_loopback() || o[0] == 0 {
        Reach::Loopback
    } else if ip.is_link_local() {
        Reach::LinkLocal
    } else if ip.is_private() || (o[0] == 100 && o[1] & 0xc0 == 64) {
        Reach::Private
    } else if ip.is_multicast() || ip.is_broadcast() {
        Reach::Never
    } else {
        Reach::Public
    }
}

/// The host of a `host[:port]` registry name or of a URL, without brackets.
fn bare_host(host_port: &str) -> &str {
    if let Some(rest) = host_port.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host_port.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host_port,
    }
}

/// `localhost` and loopback addresses: the only hosts plain HTTP may carry credentials to,
/// because the bytes never leave the machine.
pub fn is_loopback_host(host: &str) -> bool {
    let h = bare_host(host);
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<IpAddr>()
        .is_ok_and(|ip| Reach::of(ip) == Reach::Loopback)
}

/// The scheme for `registry` (`host[:port]` as in the image name): https, or http where
/// `--plain-http` (loopback only) or `--insecure-registry` allows it.
pub fn scheme_for(
    registry: &str,
    plain_http: bool,
    insecure: &[String],
) -> Result<&'static str, String> {
    let named = insecure.iter().any(|i| {
        let i = i.trim().trim_end_matches('/');
        let i = i
            .strip_prefix("http://")
            .or_else(|| i.strip_prefix("https://"))
            .unwrap_or(i);
        i.eq_ignore_ascii_case(registry)
            || (!i.contains(':') || i.starts_with('[') && i.ends_with(']'))
                && bare_host(i).eq_ignore_ascii_case(bare_host(registry))
    });
    if named {
        return Ok("http");
    }
    if !plain_http {
        return Ok("https");
    }
    if is_loopback_host(registry) {
        return Ok("http");
    }
    Err(format!(
        "--plain-http applies to registries on this machine (localhost, 127.0.0.1, ::1), and {registry} is not one: to read it over plain HTTP anyway, name it with --insecure-registry {registry}"
    ))
}

/// Whether the user's credentials may be sent to `url`: over TLS, or in clear to loopback.
pub fn may_carry_credentials(url: &Url) -> bool {
    url.scheme() == "https"
        || (url.scheme() == "http" && url.host_str().is_some_and(is_loopback_host))
}

/// Whether the token realm a registry named may be sent the user's credentials: never an
/// `http://` realm when the registry is https, and in clear only to loopback.
pub fn realm_may_carry_credentials(registry: &Url, realm: &Url) -> Result<(), String> {
    if realm.scheme() != "https" && registry.scheme() == "https" {
        return Err(format!(
            "the registry (over https) names a token service over plain HTTP ({}); the credentials are not sent in clear",
            realm.origin().ascii_serialization()
        ));
    }
    if !may_carry_credentials(realm) {
        return Err(format!(
            "the token service {} is plain HTTP and not on this machine; the credentials are not sent in clear",
            realm.origin().ascii_serialization()
        ));
    }
    Ok(())
}

/// The kinds of network the registry itself is on (an address literal, or what its name
/// resolves to), which redirects may then also go to.
pub fn reach_of_host(host: &str, port: u16) -> BTreeSet<Reach> {
    let h = bare_host(host);
    if let Ok(ip) = h.parse::<IpAddr>() {
        return BTreeSet::from([Reach::of(ip)]);
    }
    if is_loopback_host(h) {
        return BTreeSet::from([Reach::Loopback]);
    }
    (h, port)
        .to_socket_addrs()
        .map(|a| a.map(|s| Reach::of(s.ip())).collect())
        .unwrap_or_default()
}

/// Whether a hop from `from` to `to` may be followed (a redirect, or the token realm a
/// challenge names). `to_addrs` are the addresses `to`'s host is (its literal, or what it
/// resolved to); `registry` the kinds the registry is on. The error completes "the redirect …"
/// or "the token realm …".
pub fn hop_allowed(
    from: &Url,
    to: &Url,
    to_addrs: &[IpAddr],
    registry: &BTreeSet<Reach>,
) -> Result<(), String> {
    let shown = to.host_str().unwrap_or_default();
    if !matches!(to.scheme(), "http" | "https") {
        return Err(format!("points at a {}: URL", to.scheme()));
    }
    if from.scheme() == "https" && to.scheme() != "https" {
        return Err(format!(
            "goes from https to plain HTTP ({})",
            to.origin().ascii_serialization()
        ));
    }
    if to_addrs.is_empty() {
        return Err(format!("points at {shown}, which does not resolve"));
    }
    for ip in to_addrs {
        let r = Reach::of(*ip);
        if r == Reach::Public || (r != Reach::Never && registry.contains(&r)) {
            continue;
        }
        return Err(format!(
            "points at {shown} ({ip}, {}), and the registry is not on one",
            r.name()
        ));
    }
    Ok(())
}

/// The addresses of `url`'s host: the literal, or what the system resolver says.
pub fn addrs_of(url: &Url) -> Vec<IpAddr> {
    let Some(host) = url.host_str() else {
        return Vec::new();
    };
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return vec![ip];
    }
    (host, url.port_or_known_default().unwrap_or(443))
        .to_socket_addrs()
        .map(|a| a.map(|s| s.ip()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn addresses_are_sorted_by_the_network_they_are_on() {
        for (a, want) in [
            ("127.0.0.1", Reach::Loopback),
            ("127.9.9.9", Reach::Loopback),
            ("0.0.0.0", Reach::Loopback),
            ("::1", Reach::Loopback),
            ("::", Reach::Loopback),
            ("10.1.2.3", Reach::Private),
            ("172.16.0.1", Reach::Private),
            ("172.31.255.255", Reach::Private),
            ("192.168.1.1", Reach::Private),
            ("100.64.0.1", Reach::Private),
            ("fc00::1", Reach::Private),
            ("fd00:ec2::254", Reach::Private),
            ("169.254.169.254", Reach::LinkLocal),
            ("169.254.170.2", Reach::LinkLocal),
            ("fe80::1", Reach::LinkLocal),
            ("febf::1", Reach::LinkLocal),
            ("::ffff:169.254.169.254", Reach::LinkLocal),
            ("::ffff:10.0.0.1", Reach::Private),
            ("64:ff9b::a9fe:a9fe", Reach::LinkLocal),
            ("224.0.0.1", Reach::Never),
            ("255.255.255.255", Reach::Never),
            ("172.32.0.1", Reach::Public),
            ("8.8.8.8", Reach::Public),
            ("2606:4700::1111", Reach::Public),
        ] {
            assert_eq!(Reach::of(ip(a)), want, "{a}");
        }
    }

    #[test]
    fn redirects_neither_downgrade_nor_reach_inwards() {
        let public = BTreeSet::from([Reach::Public]);
        let loopback = BTreeSet::from([Reach::Loopback]);
        let private = BTreeSet::from([Reach::Private]);
        let reg = url("https://registry.example/v2/a/blobs/sha256:0");
        let ok = |to: &str, addr: &str, on: &BTreeSet<Reach>| {
            hop_allowed(&reg, &url(to), &[ip(addr)], on)
        };
        assert!(ok("https://s3.example/b", "52.1.2.3", &public).is_ok());
        let e = ok("http://s3.example/b", "52.1.2.3", &public).unwrap_err();
        assert!(
            e.contains("from https to plain HTTP (http://s3.example)"),
            "{e}"
        );
        for (to, addr) in [
            (
                "https://169.254.169.254/latest/meta-data/",
                "169.254.169.254",
            ),
            ("https://[fe80::1]/x", "fe80::1"),
            ("https://10.0.0.5/x", "10.0.0.5"),
            ("https://172.20.0.5/x", "172.20.0.5"),
            ("https://192.168.0.5/x", "192.168.0.5"),
            ("https://[fd00::5]/x", "fd00::5"),
            ("https://127.0.0.1:8080/x", "127.0.0.1"),
            ("https://[::1]/x", "::1"),
            // A name that resolves inwards is judged by its address, not its name.
            ("https://inside.attacker.example/x", "10.0.0.7"),
        ] {
            let e = ok(to, addr, &public).unwrap_err();
            assert!(
                e.contains(addr) && e.contains("the registry is not on one"),
                "{to}: {e}"
            );
        }
        // A registry on loopback may send us to loopback (a local test registry and its
        // storage), not to a private or link-local address; a private one to private only.
        let lo = url("http://127.0.0.1:5000/v2/a/blobs/sha256:0");
        assert!(hop_allowed(
            &lo,
            &url("http://127.0.0.1:9000/b"),
            &[ip("127.0.0.1")],
            &loopback
        )
        .is_ok());
        assert!(hop_allowed(&lo, &url("http://10.0.0.1/b"), &[ip("10.0.0.1")], &loopback).is_err());
        assert!(hop_allowed(
            &lo,
            &url("http://169.254.169.254/"),
            &[ip("169.254.169.254")],
            &loopback
        )
        .is_err());
        assert!(ok("https://10.0.0.9/b", "10.0.0.9", &private).is_ok());
        assert!(ok("https://169.254.169.254/", "169.254.169.254", &private).is_err());
        // Every address a name resolves to must pass, not just the first.
        let e = hop_allowed(
            &reg,
            &url("https://mixed.example/x"),
            &[ip("52.1.2.3"), ip("169.254.169.254")],
            &public,
        )
        .unwrap_err();
        assert!(e.contains("169.254.169.254"), "{e}");
        assert!(hop_allowed(&reg, &url("https://nowhere.example/x"), &[], &public).is_err());
        assert!(hop_allowed(
            &reg,
            &url("file:///etc/passwd"),
            &[ip("127.0.0.1")],
            &public
        )
        .is_err());
    }

    #[test]
    fn plain_http_is_for_loopback_or_the_hosts_named() {
        let none: Vec<String> = Vec::new();
        assert_eq!(scheme_for("127.0.0.1:5000", true, &none), Ok("http"));
        assert_eq!(scheme_for("localhost:5000", true, &none), Ok("http"));
        assert_eq!(scheme_for("[::1]:5000", true, &none), Ok("http"));
        assert_eq!(scheme_for("ghcr.io", false, &none), Ok("https"));
        let e = scheme_for("ghcr.io", true, &none).unwrap_err();
        assert!(e.contains("--insecure-registry ghcr.io"), "{e}");
        assert!(scheme_for("10.0.0.1:5000", true, &none).is_err());
        assert!(scheme_for("localhost.attacker.net", true, &none).is_err());
        assert!(scheme_for("x.localhost", true, &none).is_err());
        let named = vec![
            "reg.internal:5000".to_string(),
            "other.internal".to_string(),
        ];
        assert_eq!(scheme_for("reg.internal:5000", false, &named), Ok("http"));
        assert_eq!(scheme_for("reg.internal:6000", false, &named), Ok("https"));
        assert_eq!(scheme_for("other.internal:7000", false, &named), Ok("http"));
        assert_eq!(scheme_for("ghcr.io", false, &named), Ok("https"));
    }

    #[test]
    fn credentials_travel_in_clear_only_to_loopback() {
        assert!(may_carry_credentials(&url("https://ghcr.io/token")));
        assert!(may_carry_credentials(&url("http://127.0.0.1:5000/v2/")));
        assert!(may_carry_credentials(&url("http://localhost:5000/v2/")));
        assert!(may_carry_credentials(&url("http://[::1]:5000/v2/")));
        assert!(!may_carry_credentials(&url("http://reg.internal:5000/v2/")));
        assert!(!may_carry_credentials(&url("http://10.0.0.1/v2/")));
        let https = url("https://registry.example/v2/");
        let plain = url("http://127.0.0.1:5000/v2/");
        assert!(realm_may_carry_credentials(&https, &url("https://auth.example/token")).is_ok());
        let e = realm_may_carry_credentials(&https, &url("http://auth.example/token")).unwrap_err();
        assert!(e.contains("http://auth.example"), "{e}");
        assert!(realm_may_carry_credentials(&https, &url("http://127.0.0.1:9/token")).is_err());
        assert!(realm_may_carry_credentials(&plain, &url("http://127.0.0.1:9/token")).is_ok());
        assert!(realm_may_carry_credentials(&plain, &url("http://auth.example/token")).is_err());
    }
}
