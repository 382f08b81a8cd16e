//! One-line summaries (the default output), tcpdump/tshark-like: frame number, time, then
//! the innermost meaningful layer described by a per-protocol formatter, then the tunnels
//! it travelled in, innermost first:
//!
//! ```text
//!     5 0.000120000 MV-RRQ gid=mac:00:21:6a:4b:1c:2d cid=1001 R lifetime=1800 leid=5 auth=ok via GRE 198.51.100.20 → 203.0.113.5
//! ```
//!
//! Built from the dissection's fields only (names of spec §10 and Wireshark's), so a layer
//! that is missing a field still gets a line: formatters skip what is absent, and a
//! protocol without a formatter is shown by its name and first fields.

use super::{
    health, layer_field, layer_flag, layer_uint, push_hex_u64, push_u64, put_field, same_name,
    Colors, Health, PacketView, Printer, TimeFormat,
};
use crate::model::{Dissection, Value};
use codec::Severity;
use std::fmt::Write as _;

/// Summary printer.
pub struct SummaryPrinter {
    /// Time column.
    pub time: TimeFormat,
    /// Colours.
    pub colors: Colors,
}

impl Printer for SummaryPrinter {
    fn packet(&mut self, p: &PacketView<'_>, out: &mut String) {
        let c = self.colors;
        c.dim(out, |o| super::push_u64_padded(o, p.number, 5, b' '));
        out.push(' ');
        if self.time != TimeFormat::None {
            self.time.write(p, out);
            out.push(' ');
        }
        describe(p.d, p.frame, c, out);
        tags(p, c, out);
        out.push('\n');
    }
}

/// Appends ` [truncated capture]`, ` [malformed: …]` and ` [warning …]` as they apply.
pub fn tags(p: &PacketView<'_>, c: Colors, out: &mut String) {
    let d = p.d;
    match health(d) {
        Health::Ok => {}
        Health::TruncatedCapture => c.yellow(out, |o| {
            o.push_str(" [truncated capture: ");
            push_u64(o, p.frame.len() as u64);
            o.push_str(" of ");
            push_u64(o, u64::from(p.orig_len));
            o.push_str(" octets]");
        }),
        Health::Malformed => {
            if let Some(e) = d
                .diagnostics
                .iter()
                .find(|x| x.diag.severity == Severity::Error)
            {
                let g = &e.diag;
                c.red(out, |o| {
                    o.push_str(" [malformed");
                    if let Some(k) = g.kind {
                        o.push(' ');
                        o.push_str(k.as_str());
                    }
                    if let Some(cl) = g.clause {
                        o.push(' ');
                        o.push_str(cl);
                    }
                    o.push_str(" at ");
                    push_u64(o, g.offset as u64);
                    o.push_str(": ");
                    o.push_str(&g.detail);
                    o.push(']');
                });
            }
        }
    }
    let mut first = true;
    for w in d
        .diagnostics
        .iter()
        .filter(|x| x.diag.severity == Severity::Warning)
    {
        c.yellow(out, |o| {
            o.push_str(if first { " [warning " } else { ", " });
            o.push_str(w.diag.clause.unwrap_or(w.diag.field));
            o.push_str(" at ");
            push_u64(o, w.diag.offset as u64);
        });
        first = false;
    }
    if !first {
        c.yellow(out, |o| o.push(']'));
    }
}

/// Most tunnels shown on one line (a frame has at most `engine::MAX_DEPTH` layers).
const MAX_TUNNELS: usize = crate::engine::MAX_DEPTH + 1;

/// True for layers that carry another packet (shown after "via").
fn is_tunnel(d: &Dissection, i: usize) -> bool {
    let Some(l) = d.layers.get(i) else {
        return false;
    };
    match l.proto {
        "gre" | "esp" => true,
        "l2tp" => layer_uint(d, i, "l2tp.type") == Some(0),
        "mvtp" => layer_uint(d, i, "mvtp.type") == Some(3),
        "mip" => layer_uint(d, i, "mip.type") == Some(4),
        "ip" | "ipv6" => d
            .layers
            .get(i + 1)
            .is_some_and(|n| matches!(n.proto, "ip" | "ipv6")),
        _ => false,
    }
}

/// Index of the nearest `ip`/`ipv6` layer before `i`.
fn enclosing_ip(d: &Dissection, i: usize) -> Option<usize> {
    (0..i)
        .rev()
        .find(|&j| matches!(d.layers[j].proto, "ip" | "ipv6"))
}

/// Writes `src → dst` of an IP layer.
fn ip_addrs(d: &Dissection, frame: &[u8], ip: usize, ports: Option<usize>, out: &mut String) {
    let (s, t) = if d.layers[ip].proto == "ipv6" {
        ("ipv6.src", "ipv6.dst")
    } else {
        ("ip.src", "ip.dst")
    };
    // One pass over each layer for both ends.
    let (mut src, mut dst) = (None, None);
    for f in d.layer_fields(ip) {
        if matches!(f.value, Value::Empty) {
            continue;
        }
        if src.is_none() && same_name(f.name, s) {
            src = Some(f);
        } else if dst.is_none() && same_name(f.name, t) {
            dst = Some(f);
        }
        if src.is_some() && dst.is_some() {
            break;
        }
    }
    let (mut sport, mut dport) = (None, None);
    if let Some(pi) = ports {
        let (sp, dp) = match d.layers[pi].proto {
            "tcp" => ("tcp.srcport", "tcp.dstport"),
            _ => ("udp.srcport", "udp.dstport"),
        };
        // As `layer_uint`: the first field of that name decides (a non-integer gives none).
        let uint = |v: &Value| match *v {
            Value::U64(v) => Some(v),
            Value::Bool(b) => Some(u64::from(b)),
            _ => None,
        };
        for f in d.layer_fields(pi) {
            if matches!(f.value, Value::Empty) {
                continue;
            }
            if sport.is_none() && same_name(f.name, sp) {
                sport = Some(uint(&f.value));
            } else if dport.is_none() && same_name(f.name, dp) {
                dport = Some(uint(&f.value));
            }
            if sport.is_some() && dport.is_some() {
                break;
            }
        }
    }
    let (sport, dport) = (sport.flatten(), dport.flatten());
    match src {
        Some(f) => super::render(d, frame, f, out),
        None => out.push('?'),
    }
    if let Some(v) = sport {
        out.push(':');
        push_u64(out, v);
    }
    out.push_str(" → ");
    match dst {
        Some(f) => super::render(d, frame, f, out),
        None => out.push('?'),
    }
    if let Some(v) = dport {
        out.push(':');
        push_u64(out, v);
    }
}

/// Appends the description of a dissected frame (no frame number, no tags).
pub fn describe(d: &Dissection, frame: &[u8], c: Colors, out: &mut String) {
    let n = d.layers.len();
    if n == 0 {
        let _ = write!(out, "{} octets, no decoder for this link type", frame.len());
        return;
    }
    // The innermost layer that is on the wire and decoded (not undecoded data, not the
    // `overhead` post-pass summary).
    let primary = (0..n)
        .rev()
        .find(|&i| !matches!(d.layers[i].proto, "data" | "overhead"))
        .unwrap_or(n - 1);
    // Where the primary's own addressing ends: UDP/TCP and what rides on them use the
    // enclosing IP header for their addresses.
    let proto = d.layers[primary].proto;
    let transport = match proto {
        "udp" | "tcp" => Some(primary),
        "l2tp" | "mip" | "ike" | "esp"
            if primary > 0 && matches!(d.layers[primary - 1].proto, "udp" | "tcp") =>
        {
            Some(primary - 1)
        }
        _ => None,
    };
    let ip_based = matches!(
        proto,
        "udp" | "tcp" | "icmp" | "ip" | "ipv6" | "gre" | "esp" | "ah"
    ) || transport.is_some();
    let scope = transport.unwrap_or(primary);
    let own_ip = if ip_based {
        enclosing_ip(d, scope + 1).filter(|&j| j <= scope)
    } else {
        None
    };

    c.bold(out, |o| layer_name(d, primary, o));
    if ip_based && !matches!(proto, "ip" | "ipv6") {
        if let Some(ip) = own_ip {
            out.push(' ');
            ip_addrs(d, frame, ip, transport, out);
        }
    }
    layer_detail(d, frame, primary, out);

    // Tunnels, innermost first; addresses once per IP header (on the outermost tunnel using it).
    let first_tunnel_layer = own_ip.unwrap_or(scope);
    // At most one tunnel per layer: a fixed array (no allocation) unless the stack is
    // deeper than any the engine builds.
    let mut tunnel_buf = [0usize; MAX_TUNNELS];
    let tunnel_vec: Vec<usize>;
    let tunnels: &[usize] = if first_tunnel_layer <= MAX_TUNNELS {
        let mut count = 0;
        for i in (0..first_tunnel_layer).rev() {
            if is_tunnel(d, i) {
                tunnel_buf[count] = i;
                count += 1;
            }
        }
        &tunnel_buf[..count]
    } else {
        tunnel_vec = (0..first_tunnel_layer)
            .rev()
            .filter(|&i| is_tunnel(d, i))
            .collect();
        &tunnel_vec
    };
    for (k, &t) in tunnels.iter().enumerate() {
        out.push_str(" via ");
        c.bold(out, |o| tunnel_name(d, t, o));
        tunnel_detail(d, frame, t, out);
        let ip = if matches!(d.layers[t].proto, "ip" | "ipv6") {
            Some(t)
        } else {
            enclosing_ip(d, t)
        };
        if let Some(ip) = ip {
            let outer_shares = tunnels[k + 1..]
                .iter()
                .any(|&u| u == ip || enclosing_ip(d, u) == Some(ip));
            if !outer_shares && Some(ip) != own_ip {
                out.push(' ');
                ip_addrs(d, frame, ip, None, out);
            }
        }
    }
    if own_ip.is_none()
        && !matches!(proto, "eth" | "ip" | "ipv6")
        && !tunnels
            .iter()
            .any(|&t| enclosing_ip(d, t).is_some() || matches!(d.layers[t].proto, "ip" | "ipv6"))
    {
        link_addrs(d, frame, out);
    }
}

fn link_addrs(d: &Dissection, frame: &[u8], out: &mut String) {
    for (i, l) in d.layers.iter().enumerate() {
        let (s, t) = match l.proto {
            "eth" => ("eth.src", "eth.dst"),
            "wlan" => ("wlan.sa", "wlan.da"),
            _ => continue,
        };
        if layer_field(d, i, s).is_some() {
            out.push(' ');
            put_field(d, frame, i, s, out);
            out.push_str(" → ");
            put_field(d, frame, i, t, out);
        }
        return;
    }
}

fn mvtp_type_name(t: u64) -> Option<&'static str> {
    Some(match t {
        1 => "MV-FAA",
        2 => "MV-FAS",
        3 => "MV-DATA",
        4 => "MV-RRQ",
        5 => "MV-RRP",
        6 => "MV-DN",
        _ => return None,
    })
}

fn l2tp_message_name(t: u64) -> Option<&'static str> {
    Some(match t {
        1 => "SCCRQ",
        2 => "SCCRP",
        3 => "SCCCN",
        4 => "StopCCN",
        6 => "HELLO",
        7 => "OCRQ",
        8 => "OCRP",
        9 => "OCCN",
        10 => "ICRQ",
        11 => "ICRP",
        12 => "ICCN",
        14 => "CDN",
        15 => "WEN",
        16 => "SLI",
        _ => return None,
    })
}

/// The short name of a layer as the line starts with it.
fn layer_name(d: &Dissection, i: usize, out: &mut String) {
    let l = &d.layers[i];
    match l.proto {
        "mvtp" => match layer_uint(d, i, "mvtp.type").and_then(mvtp_type_name) {
            Some(n) => out.push_str(n),
            None => out.push_str("MVTP"),
        },
        "l2tp" => {
            out.push_str("L2TP");
            match layer_uint(d, i, "l2tp.type") {
                Some(1) => match layer_uint(d, i, "l2tp.avp.message_type") {
                    Some(m) => match l2tp_message_name(m) {
                        Some(n) => {
                            out.push(' ');
                            out.push_str(n);
                        }
                        None => {
                            out.push_str(" message ");
                            push_u64(out, m);
                        }
                    },
                    None => out.push_str(" ZLB"),
                },
                Some(0) => out.push_str(" data"),
                _ => {}
            }
        }
        "mip" => out.push_str(match layer_uint(d, i, "mip.type") {
            Some(1) => "MIP RRQ",
            Some(3) => "MIP RRP",
            Some(4) => "MIP tunnel data",
            _ => "MIP",
        }),
        "icmp" => out.push_str(match layer_uint(d, i, "icmp.type") {
            Some(0) => "ICMP echo reply",
            Some(3) => "ICMP unreachable",
            Some(8) => "ICMP echo request",
            Some(9) => "ICMP router advertisement",
            Some(10) => "ICMP router solicitation",
            Some(11) => "ICMP time exceeded",
            _ => "ICMP",
        }),
        "ip" => out.push_str("IPv4"),
        "ipv6" => out.push_str("IPv6"),
        "eth" => out.push_str("Ethernet"),
        "wlan" => out.push_str("802.11"),
        "radiotap" => out.push_str("Radiotap"),
        "data" => out.push_str("Data"),
        p => {
            for ch in p.chars() {
                out.push(ch.to_ascii_uppercase());
            }
        }
    }
}

fn kv(d: &Dissection, frame: &[u8], i: usize, label: &str, name: &str, out: &mut String) {
    if let Some(f) = layer_field(d, i, name) {
        out.push(' ');
        out.push_str(label);
        out.push('=');
        super::render(d, frame, f, out);
    }
}

fn kv_all(d: &Dissection, frame: &[u8], i: usize, label: &str, name: &str, out: &mut String) {
    let mut first = true;
    for f in d
        .layer_fields(i)
        .iter()
        .filter(|f| same_name(f.name, name) && !matches!(f.value, Value::Empty))
    {
        out.push_str(if first { " " } else { "," });
        if first {
            out.push_str(label);
            out.push('=');
        }
        first = false;
        super::render(d, frame, f, out);
    }
}

fn kv_hex(d: &Dissection, i: usize, label: &str, name: &str, out: &mut String) {
    if let Some(v) = layer_uint(d, i, name) {
        out.push(' ');
        out.push_str(label);
        out.push_str("=0x");
        push_hex_u64(out, v);
    }
}

fn gid(d: &Dissection, frame: &[u8], i: usize, class: &str, addr: &str, out: &mut String) {
    let Some(a) = layer_field(d, i, addr) else {
        return;
    };
    out.push_str(" gid=");
    out.push_str(match layer_uint(d, i, class) {
        Some(1) => "local:",
        Some(2) => "ip:",
        Some(3) => "mac:",
        Some(4) => "magic:",
        Some(5) => "tel:",
        _ => "",
    });
    super::render(d, frame, a, out);
}

fn auth(d: &Dissection, i: usize, out: &mut String) {
    // One pass over the layer (this runs for every registration PDU).
    for f in d.layer_fields(i) {
        let label = match f.name {
            "mvtp.auth.mh.valid" => "mh",
            "mvtp.auth.mf.valid" => "mf",
            "mvtp.auth.fh.valid" => "fh",
            _ => continue,
        };
        if let Value::Bool(v) = f.value {
            out.push_str(" auth.");
            out.push_str(label);
            out.push_str(if v { "=ok" } else { "=BAD" });
        }
    }
}

fn rrp_code(code: u64) -> &'static str {
    match code {
        0 => "accepted",
        64..=127 => "denied by FA",
        128..=255 => "denied by server",
        _ => "denied",
    }
}

/// The detail after a layer's name.
fn layer_detail(d: &Dissection, frame: &[u8], i: usize, out: &mut String) {
    match d.layers[i].proto {
        "mvtp" => {
            let t = layer_uint(d, i, "mvtp.type");
            match t {
                Some(1) => {
                    kv(d, frame, i, "seq", "mvtp.agent.seq", out);
                    kv(d, frame, i, "lifetime", "mvtp.agent.lifetime", out);
                    kv_hex(d, i, "flags", "mvtp.agent.flags", out);
                    kv_all(d, frame, i, "coa", "mvtp.agent.coa", out);
                }
                Some(2) => {}
                Some(3) => {
                    kv(d, frame, i, "leid", "mvtp.leid", out);
                    out.push_str(match layer_uint(d, i, "mvtp.encap") {
                        Some(0) => " encap=NONE",
                        Some(1) => " encap=PPP_TO_L2TP",
                        Some(2) => " encap=L2TP_TRANSPORT",
                        _ => "",
                    });
                    kv(d, frame, i, "len", "mvtp.payload_length", out);
                }
                Some(4) | Some(5) => {
                    if t == Some(5) {
                        if let Some(code) = layer_uint(d, i, "mvtp.code") {
                            out.push(' ');
                            out.push_str(rrp_code(code));
                            out.push_str(" code=");
                            push_u64(out, code);
                        }
                    }
                    gid(d, frame, i, "mvtp.gid.class", "mvtp.gid.address", out);
                    kv(d, frame, i, "cid", "mvtp.connect_id", out);
                    if layer_flag(d, i, "mvtp.flags.reset") == Some(true) {
                        out.push_str(" R");
                    }
                    kv(d, frame, i, "lifetime", "mvtp.lifetime", out);
                    kv(d, frame, i, "leid", "mvtp.leid", out);
                    auth(d, i, out);
                }
                Some(6) => {
                    if let Some(code) = layer_uint(d, i, "mvtp.code") {
                        let why = match code {
                            0 => "close",
                            1 => "expired",
                            2 => "invalid-state",
                            3 => "l2tp-cdn",
                            4 => "timeout",
                            5 => "roamed",
                            _ => "unknown",
                        };
                        out.push_str(" code=");
                        push_u64(out, code);
                        out.push_str(" (");
                        out.push_str(why);
                        out.push(')');
                    }
                    kv(d, frame, i, "leid", "mvtp.leid", out);
                    kv(d, frame, i, "cid", "mvtp.connect_id", out);
                    auth(d, i, out);
                }
                _ => {
                    kv(d, frame, i, "type", "mvtp.type", out);
                    kv(d, frame, i, "len", "mvtp.length", out);
                }
            }
            if let Some(f) = layer_field(d, i, "mvtp.msg") {
                out.push_str(" msg=\"");
                super::render(d, frame, f, out);
                out.push('"');
            }
        }
        "l2tp" => {
            match (
                layer_uint(d, i, "l2tp.tunnel"),
                layer_uint(d, i, "l2tp.session"),
            ) {
                (Some(t), Some(s)) => {
                    out.push(' ');
                    push_u64(out, t);
                    out.push('/');
                    push_u64(out, s);
                }
                (Some(t), None) => {
                    out.push(' ');
                    push_u64(out, t);
                }
                _ => {}
            }
            if layer_uint(d, i, "l2tp.type") == Some(1) {
                kv(d, frame, i, "Ns", "l2tp.Ns", out);
                kv(d, frame, i, "Nr", "l2tp.Nr", out);
                kv(
                    d,
                    frame,
                    i,
                    "session_id",
                    "l2tp.avp.assigned_session_id",
                    out,
                );
                kv(d, frame, i, "serial", "l2tp.avp.call_serial_number", out);
                gid(
                    d,
                    frame,
                    i,
                    "l2tp.handoff.gid.class",
                    "l2tp.handoff.gid.address",
                    out,
                );
            }
        }
        "mip" => {
            kv(d, frame, i, "code", "mip.code", out);
            kv(d, frame, i, "home", "mip.homeaddr", out);
            kv(d, frame, i, "ha", "mip.haaddr", out);
            kv(d, frame, i, "coa", "mip.coa", out);
            kv(d, frame, i, "life", "mip.life", out);
            if let Some(v) = layer_flag(d, i, "mip.auth.valid") {
                out.push_str(if v { " auth=ok" } else { " auth=BAD" });
            }
            if layer_field(d, i, "mip.tnc").is_some() {
                out.push_str(" TNC");
            }
        }
        "icmp" => match layer_uint(d, i, "icmp.type") {
            Some(9) => {
                kv_all(d, frame, i, "router", "icmp.router_address", out);
                kv(d, frame, i, "seq", "icmp.mip.seq", out);
                kv_all(d, frame, i, "coa", "icmp.mip.coa", out);
                if layer_field(d, i, "mvtp.agent.flags").is_some() {
                    out.push_str(" +MVTP");
                }
            }
            Some(0) | Some(8) => {
                kv(d, frame, i, "id", "icmp.ident", out);
                kv(d, frame, i, "seq", "icmp.seq", out);
            }
            Some(10) => {}
            _ => {
                kv(d, frame, i, "type", "icmp.type", out);
                kv(d, frame, i, "code", "icmp.code", out);
            }
        },
        "esp" => {
            kv_hex(d, i, "spi", "esp.spi", out);
            kv(d, frame, i, "seq", "esp.sequence", out);
        }
        "gre" => kv_hex(d, i, "proto", "gre.proto", out),
        "udp" => kv(d, frame, i, "len", "udp.length", out),
        "tcp" => {
            kv(d, frame, i, "seq", "tcp.seq", out);
            kv(d, frame, i, "len", "tcp.len", out);
        }
        "ip" | "ipv6" => {
            out.push(' ');
            ip_addrs(d, frame, i, None, out);
            kv(d, frame, i, "proto", "ip.proto", out);
            kv(d, frame, i, "nxt", "ipv6.nxt", out);
            kv(d, frame, i, "len", "ip.len", out);
            if layer_flag(d, i, "ip.flags.mf") == Some(true)
                || layer_uint(d, i, "ip.frag_offset").is_some_and(|v| v > 0)
            {
                out.push_str(" fragment");
            }
        }
        "arp" => {
            out.push_str(match layer_uint(d, i, "arp.opcode") {
                Some(1) => " who-has",
                Some(2) => " reply",
                _ => "",
            });
            kv(d, frame, i, "tell", "arp.src.proto_ipv4", out);
            kv(d, frame, i, "target", "arp.dst.proto_ipv4", out);
        }
        "eth" => {
            out.push(' ');
            put_field(d, frame, i, "eth.src", out);
            out.push_str(" → ");
            put_field(d, frame, i, "eth.dst", out);
            kv_hex(d, i, "type", "eth.type", out);
        }
        "wlan" => kv_hex(d, i, "type_subtype", "wlan.fc.type_subtype", out),
        "ppp" => {
            kv_hex(d, i, "proto", "ppp.protocol", out);
            kv(d, frame, i, "code", "ppp.code", out);
        }
        "data" => {
            let l = &d.layers[i];
            out.push(' ');
            push_u64(out, u64::from(l.range.end.saturating_sub(l.range.start)));
            out.push_str(" octets");
        }
        _ => {
            // Generic: the first three top-level fields with a value.
            for f in d
                .layer_fields(i)
                .iter()
                .filter(|f| {
                    f.depth == 0 && !matches!(f.value, Value::None | Value::Empty | Value::Bytes)
                })
                .take(3)
            {
                out.push(' ');
                out.push_str(f.name.rsplit('.').next().unwrap_or(f.name));
                out.push('=');
                super::render(d, frame, f, out);
            }
        }
    }
}

fn tunnel_name(d: &Dissection, t: usize, out: &mut String) {
    out.push_str(match d.layers[t].proto {
        "gre" => "GRE",
        "esp" => "ESP",
        "l2tp" => "L2TP",
        "mvtp" => "MV-DATA",
        "mip" => "MIP-UDP",
        _ => "IPIP",
    });
}

fn tunnel_detail(d: &Dissection, frame: &[u8], t: usize, out: &mut String) {
    match d.layers[t].proto {
        "esp" => kv_hex(d, t, "spi", "esp.spi", out),
        "l2tp" => {
            if let (Some(a), Some(b)) = (
                layer_uint(d, t, "l2tp.tunnel"),
                layer_uint(d, t, "l2tp.session"),
            ) {
                out.push(' ');
                push_u64(out, a);
                out.push('/');
                push_u64(out, b);
            }
        }
        "mvtp" => kv(d, frame, t, "leid", "mvtp.leid", out),
        _ => {}
    }
}
