//! Display filters (issue 7), table-driven: every expression is compiled and evaluated
//! against four hand-built dissections, or must fail with the expected position, message
//! and suggestion. Semantics follow Wireshark 4 (`wireshark-filter(4)`): `!=` is "all not
//! equal" and false on an absent field, `~=`/`!==` "any not equal", `===` "all equal".
//!
//! Names the registry does not hold yet (the MVTP, L2TP, ESP and PPP tables are being
//! filled in parallel) come from `FAKE`, consulted only for names the registry lacks.

use codec::fields::{FieldDef, FieldType};
use dissector::filter::Filter;
use dissector::model::{BufferId, Dissection, Field, Layer, Value};

/// Stand-ins for spec §10 names, used only while the registry lacks them.
const FAKE: &[FieldDef] = &[
    FieldDef::new("mvtp", FieldType::Protocol, "MVTP"),
    FieldDef::new("mvtp.version", FieldType::Uint, ""),
    FieldDef::new("mvtp.type", FieldType::Uint, ""),
    FieldDef::new("mvtp.leid", FieldType::Uint, ""),
    FieldDef::new("mvtp.flags.reset", FieldType::Bool, ""),
    FieldDef::new("mvtp.avp.type", FieldType::Uint, ""),
    FieldDef::new("mvtp.msg", FieldType::Text, ""),
    FieldDef::new("mvtp.ident", FieldType::Bytes, ""),
    FieldDef::new("l2tp", FieldType::Protocol, "L2TP"),
    FieldDef::new("l2tp.tunnel", FieldType::Uint, ""),
    FieldDef::new("l2tp.session", FieldType::Uint, ""),
    FieldDef::new("l2tp.avp.type", FieldType::Uint, ""),
    FieldDef::new("esp", FieldType::Protocol, "ESP"),
    FieldDef::new("esp.spi", FieldType::Uint, ""),
    FieldDef::new("esp.sequence", FieldType::Uint, ""),
    FieldDef::new("ppp", FieldType::Protocol, "PPP"),
    FieldDef::new("ppp.protocol", FieldType::Uint, ""),
];

/// Builds a dissection by hand: layers enclose everything after their start; byte and text
/// fields get their octets appended to the frame.
#[derive(Default)]
struct B {
    d: Dissection,
    frame: Vec<u8>,
}

impl B {
    fn layer(mut self, proto: &'static str) -> Self {
        let n = self.d.fields.len() as u32;
        if let Some(l) = self.d.layers.last_mut() {
            l.fields.end = n;
        }
        let at = self.frame.len() as u32;
        self.d.layers.push(Layer {
            proto,
            buffer: BufferId::Frame,
            range: at..at,
            fields: n..n,
        });
        self
    }

    fn push(mut self, name: &'static str, octets: &[u8], value: Value) -> Self {
        let at = self.frame.len() as u32;
        self.frame.extend_from_slice(octets);
        let end = self.frame.len() as u32;
        self.d.fields.push(Field {
            name,
            buffer: BufferId::Frame,
            range: at..end,
            value,
            depth: 0,
        });
        self
    }

    fn u(self, name: &'static str, v: u64) -> Self {
        self.push(name, &[v as u8], Value::U64(v))
    }

    fn flag(self, name: &'static str, v: bool) -> Self {
        self.push(name, &[u8::from(v)], Value::Bool(v))
    }

    fn ip(self, name: &'static str, a: [u8; 4]) -> Self {
        self.push(name, &a, Value::Ipv4(a))
    }

    fn mac(self, name: &'static str, m: [u8; 6]) -> Self {
        self.push(name, &m, Value::Mac(m))
    }

    fn bytes(self, name: &'static str, b: &[u8]) -> Self {
        self.push(name, b, Value::Bytes)
    }

    fn text(self, name: &'static str, s: &str) -> Self {
        self.push(name, s.as_bytes(), Value::Text)
    }

    fn empty(self, name: &'static str) -> Self {
        self.push(name, &[], Value::Empty)
    }

    fn done(mut self) -> (Dissection, Vec<u8>) {
        let n = self.d.fields.len() as u32;
        let end = self.frame.len() as u32;
        if let Some(l) = self.d.layers.last_mut() {
            l.fields.end = n;
        }
        for l in &mut self.d.layers {
            l.range.end = end;
        }
        (self.d, self.frame)
    }
}

const BCAST: [u8; 6] = [0xff; 6];
/// 2001:db8::1
const V6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// A: Ethernet / IPv4 / UDP 1701 / L2TP / PPP / IPv4 / GRE / MVTP with three AVPs.
fn frame_a() -> (Dissection, Vec<u8>) {
    B::default()
        .layer("eth")
        .mac("eth.dst", BCAST)
        .mac("eth.src", [0x00, 0x21, 0x6a, 0x01, 0x02, 0x03])
        .u("eth.type", 0x0800)
        .layer("ip")
        .u("ip.version", 4)
        .flag("ip.flags.df", true)
        .u("ip.ttl", 64)
        .u("ip.proto", 17)
        .ip("ip.src", [10, 1, 2, 3])
        .ip("ip.dst", [192, 168, 0, 1])
        .layer("udp")
        .u("udp.srcport", 1701)
        .u("udp.dstport", 1701)
        .layer("l2tp")
        .u("l2tp.tunnel", 5)
        .u("l2tp.session", 7)
        .u("l2tp.avp.type", 0)
        .u("l2tp.avp.type", 8)
        .u("l2tp.avp.type", 9)
        .layer("ppp")
        .u("ppp.protocol", 0x21)
        .layer("ip")
        .u("ip.version", 4)
        .u("ip.ttl", 255)
        .u("ip.proto", 47)
        .ip("ip.src", [172, 16, 0, 5])
        .ip("ip.dst", [10, 9, 9, 9])
        .layer("gre")
        .u("gre.proto", 0x88b5)
        .layer("mvtp")
        .u("mvtp.version", 1)
        .u("mvtp.type", 3)
        .u("mvtp.leid", 3)
        .flag("mvtp.flags.reset", false)
        .u("mvtp.avp.type", 1)
        .u("mvtp.avp.type", 2)
        .u("mvtp.avp.type", 5)
        .text("mvtp.msg", "hello World")
        .bytes("mvtp.ident", &[1, 2, 3, 4, 5, 6, 7, 8])
        .done()
}

/// B: Ethernet / IPv4 / ESP.
fn frame_b() -> (Dissection, Vec<u8>) {
    B::default()
        .layer("eth")
        .mac("eth.dst", [0x00, 0x21, 0x6a, 0x01, 0x02, 0x03])
        .mac("eth.src", [0x00, 0x11, 0x22, 0x33, 0x44, 0x55])
        .u("eth.type", 0x0800)
        .layer("ip")
        .u("ip.version", 4)
        .u("ip.ttl", 1)
        .u("ip.proto", 50)
        .ip("ip.src", [10, 0, 0, 1])
        .ip("ip.dst", [10, 0, 0, 2])
        .layer("esp")
        .u("esp.spi", 0x1000)
        .u("esp.sequence", 1)
        .done()
}

/// C: Ethernet / ARP / IPv6 (a lone source address) / data.
fn frame_c() -> (Dissection, Vec<u8>) {
    B::default()
        .layer("eth")
        .mac("eth.dst", BCAST)
        .mac("eth.src", [0x00, 0x21, 0x6a, 0xaa, 0xbb, 0xcc])
        .u("eth.type", 0x0806)
        .layer("arp")
        .u("arp.opcode", 1)
        .layer("ipv6")
        .push("ipv6.src", &V6, Value::Ipv6(V6))
        .layer("data")
        .bytes("data.data", b"GET /index.html")
        .u("data.len", 15)
        .done()
}

/// D: Ethernet / IPv4 / GRE / MVTP without AVPs (an `Empty` list marker only).
fn frame_d() -> (Dissection, Vec<u8>) {
    B::default()
        .layer("eth")
        .mac("eth.dst", [0x00, 0x11, 0x22, 0x33, 0x44, 0x55])
        .mac("eth.src", [0x00, 0x21, 0x6b, 0x00, 0x00, 0x01])
        .u("eth.type", 0x0800)
        .layer("ip")
        .u("ip.version", 4)
        .u("ip.ttl", 64)
        .u("ip.proto", 47)
        .ip("ip.src", [10, 200, 0, 1])
        .ip("ip.dst", [10, 0, 0, 1])
        .layer("gre")
        .u("gre.proto", 0x88b5)
        .layer("mvtp")
        .u("mvtp.type", 2)
        .u("mvtp.leid", 0)
        .empty("mvtp.avp.type")
        .done()
}

/// (expression, which of frames A B C D match).
const VALID: &[(&str, &str)] = &[
    // Protocol presence and the logical operators.
    ("eth", "1111"),
    ("ip", "1101"),
    ("mvtp", "1001"),
    ("l2tp && !esp", "1000"),
    ("esp || arp", "0110"),
    ("not ip", "0010"),
    ("(esp || l2tp) and ip.ttl < 100", "1100"),
    ("esp xor ip", "1001"),
    ("esp ^^ ip", "1001"),
    ("!(ip.ttl == 64)", "0110"),
    ("ip.ttl == 64 && !ip.ttl == 255", "0001"),
    ("frame", "1111"),
    // IPv4 and CIDR; repeated fields (outer and inner IP in A).
    ("ip.src == 10.0.0.0/8", "1101"),
    ("ip.src == 172.16.0.5", "1000"),
    ("ip.src == 10.1.2.3/32", "1000"),
    ("ip.src != 172.16.0.5", "0101"),
    ("ip.src ~= 172.16.0.5", "1101"),
    ("ip.src !== 172.16.0.5", "1101"),
    ("ip.src any_ne 172.16.0.5", "1101"),
    ("ip.src === 10.0.0.0/8", "0101"),
    ("ip.src all_eq 10.0.0.0/8", "0101"),
    ("ip.addr == 10.0.0.1", "0101"),
    ("ip.addr != 10.0.0.1", "1000"),
    ("ip.src == 10.0.0.1 || ip.dst == 10.0.0.1", "0101"),
    ("ip.src in {10.0.0.0/8, 172.16.0.0/12}", "1101"),
    ("ip.src in {10.0.0.1 .. 10.0.0.255}", "0100"),
    ("ip.src", "1101"),
    // Integers: decimal, hex, octal, binary; word operators; literal on the left.
    ("ip.ttl > 100", "1000"),
    ("ip.ttl ge 64", "1001"),
    ("ip.ttl lt 2", "0100"),
    ("ip.ttl <= 1", "0100"),
    ("ip.ttl == 0x40", "1001"),
    ("ip.ttl == 0100", "1001"),
    ("ip.ttl == 0b1", "0100"),
    ("10 < ip.ttl", "1001"),
    ("ip.ttl ne 64", "0100"),
    ("ip.proto in {17 50}", "1100"),
    ("ip.proto in {1..20, 50}", "1100"),
    ("ip.proto not in {47}", "0110"),
    ("ip.version == 4 && ip.proto == 17 && udp.dstport == 1701", "1000"),
    ("udp.port == 1701", "1000"),
    ("eth.type & 0x00ff == 6", "0010"),
    ("ip.flags.df & 1", "1000"),
    // MAC addresses in every notation, slices, alias.
    ("eth.src == 00:21:6a:01:02:03", "1000"),
    ("eth.src == 00-21-6A-01-02-03", "1000"),
    ("eth.src == 0021.6a01.0203", "1000"),
    ("eth.src == 00216a010203", "1000"),
    ("eth.src[0:3] == 00:21:6a", "1010"),
    ("eth.src[1-2] == 21:6a", "1010"),
    ("eth.src[:2] == 00:21", "1011"),
    ("eth.src[4:] == bb:cc", "0010"),
    ("eth.src[-1] == cc", "0010"),
    ("eth.src[0:1,2] == 00:6a", "1010"),
    ("eth.dst[0] == ff", "1010"),
    ("eth.addr == 00:21:6a:01:02:03", "1100"),
    ("eth.src contains 6a:aa", "0010"),
    ("eth.src == 00:21:6a:01:02:03 or eth.src == 00:21:6a:aa:bb:cc", "1010"),
    // MVTP: presence of a list field ignores the Empty marker.
    ("mvtp.leid == 3", "1000"),
    ("mvtp.leid in {0, 3}", "1001"),
    ("mvtp.type == 2 || mvtp.type == 3", "1001"),
    ("mvtp.avp.type == 2", "1000"),
    ("mvtp.avp.type != 2", "0000"),
    ("mvtp.avp.type", "1000"),
    ("mvtp.avp.type ~= 1", "1000"),
    ("mvtp.avp.type === 1", "0000"),
    ("count(mvtp.avp.type) == 3", "1000"),
    ("count(mvtp.avp.type) == 0", "0000"),
    ("count(ip) == 2", "1000"),
    // Booleans: true/false and 1/0; a bare boolean field means "present".
    ("mvtp.flags.reset == false", "1000"),
    ("mvtp.flags.reset == 0", "1000"),
    ("mvtp.flags.reset", "1000"),
    ("!mvtp.flags.reset", "0111"),
    ("ip.flags.df == 1", "1000"),
    ("ip.flags.df == TRUE", "1000"),
    // Strings, contains, matches (case-insensitive by default), byte strings.
    ("mvtp.msg == \"hello World\"", "1000"),
    ("mvtp.msg > \"a\"", "1000"),
    ("mvtp.msg contains \"World\"", "1000"),
    ("mvtp.msg contains \"world\"", "0000"),
    ("mvtp.msg matches \"^HELLO\"", "1000"),
    ("mvtp.msg ~ \"wor.d$\"", "1000"),
    ("mvtp.msg matches \"(?-i)^HELLO\"", "0000"),
    ("mvtp.ident == 01:02:03:04:05:06:07:08", "1000"),
    ("mvtp.ident == 0102030405060708", "1000"),
    ("mvtp.ident > 01", "1000"),
    ("data.data contains \"index\"", "0010"),
    ("data.data contains 47:45:54", "0010"),
    ("data.data[0:3] == \"GET\"", "0010"),
    ("data.data[0] == 'G'", "0010"),
    ("data.data matches \"\\\\.html$\"", "0010"),
    ("len(data.data) == 15", "0010"),
    ("len(ip.src) == 4", "1101"),
    ("data.len >= 15 and data", "0010"),
    ("frame contains \"GET\"", "0010"),
    ("udp contains \"hello\"", "1000"),
    // The layer operator: occurrences in the n-th layer of the field's protocol.
    ("ip.src#2 == 172.16.0.5", "1000"),
    ("ip.src#1 == 172.16.0.5", "0000"),
    ("ip.ttl#1 == 64", "1001"),
    ("ip#2", "1000"),
    ("ip#2 && !ip#3", "1000"),
    ("count(ip.src#2) == 1", "1000"),
    ("len(ip#2) < len(ip#1)", "1000"),
    // IPv6 addresses and networks.
    ("ipv6", "0010"),
    ("ipv6.src == 2001:db8::1", "0010"),
    ("ipv6.src == 2001:db8::/32", "0010"),
    ("ipv6.src == 2001:db9::/32", "0000"),
    // A protocol's octets: slices, length.
    ("ip[0] == 04", "1101"),
    ("len(esp) == 2", "0100"),
    ("esp[0:1] == 00", "0100"),
    // Other protocols.
    ("esp.spi == 4096", "0100"),
    ("esp.spi == 0x1000 && ip.ttl == 1", "0100"),
    ("l2tp.tunnel == 5 and l2tp.session eq 7", "1000"),
    ("l2tp.avp.type in {8..9}", "1000"),
    ("ppp.protocol == 0x21", "1000"),
    // Field against field.
    ("ip.src == ip.dst", "0000"),
    ("ip.src != ip.dst", "1101"),
    ("ip.ttl > ip.proto", "1001"),
];

/// (expression, byte position, text the message must contain, suggestion).
const INVALID: &[(&str, usize, &str, Option<&str>)] = &[
    (
        "ip.srcc == 10.0.0.1",
        0,
        "neither a field nor a protocol",
        Some("ip.src"),
    ),
    ("mvtp.lied == 3", 0, "neither a field nor a protocol", Some("mvtp.leid")),
    ("L2TP", 0, "neither a field nor a protocol", Some("l2tp")),
    (
        "ip.src == 10.0.0.1 && ip.dts == 10.0.0.2",
        22,
        "neither a field",
        Some("ip.dst"),
    ),
    ("ip.src == ip.dsst", 10, "neither a field", Some("ip.dst")),
    ("zzzz.qqqq", 0, "neither a field", None),
    ("ip.ttl == 1x", 10, "not a valid number", None),
    ("ip.ttl == \"64\"", 10, "remove the quotes", None),
    ("ip.src == 10.0.0.0/33", 10, "IPv4", None),
    ("ip.src == 10.0.0", 10, "IPv4", None),
    ("eth.src == 00:21:6a", 11, "MAC address", None),
    ("ip.flags.df == maybe", 15, "boolean", None),
    ("ip.ttl ==", 9, "unexpected end", None),
    ("ip.ttl == 64)", 12, "was unexpected", None),
    ("(ip.ttl == 64", 13, "unexpected end", None),
    ("ip.ttl == 64 and", 16, "unexpected end", None),
    ("ip.ttl && || ip", 10, "was unexpected", None),
    ("ip.ttl = 64", 7, "use \"==\"", None),
    ("ip | udp", 3, "use \"||\"", None),
    ("", 0, "empty", None),
    ("ip.ttl == 64 @", 13, "unexpected character", None),
    ("ip.ttl in {1 .. }", 16, "was unexpected", None),
    ("mvtp.avp.type in {}", 18, "was unexpected", None),
    ("ip.ttl contains 5", 7, "contains", None),
    ("ip.ttl matches \"4\"", 7, "matches", None),
    ("ip.ttl[0:1] == 5", 6, "cannot be sliced", None),
    ("eth.src[0:x] == 00", 8, "byte range", None),
    ("mvtp.msg matches \"(\"", 17, "regular expression", None),
    ("mvtp.msg matches 5", 17, "quoted regular expression", None),
    ("data.data == \"abc", 13, "unterminated string", None),
    ("10 == 11", 0, "is a value", None),
    ("foo(ip.src)", 0, "unknown function", None),
    ("len(nosuch.field) == 1", 4, "neither a field", None),
    ("ip.src == eth.src", 10, "cannot compare", None),
    ("ip.src[0:2", 10, "unexpected end", None),
    ("ip.src#0 == 10.0.0.1", 7, "layer number", None),
    ("ip.src# == 10.0.0.1", 8, "layer number", None),
];

fn frames() -> [(Dissection, Vec<u8>); 4] {
    [frame_a(), frame_b(), frame_c(), frame_d()]
}

#[test]
fn issue_7_valid_expressions_select_the_expected_frames() {
    let frames = frames();
    let mut failures = Vec::new();
    for (expr, want) in VALID {
        let f = match Filter::compile_with(expr, FAKE) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{expr}: does not compile:\n{e}"));
                continue;
            }
        };
        let got: String = frames
            .iter()
            .map(|(d, fr)| if f.matches(d, fr) { '1' } else { '0' })
            .collect();
        if got != *want {
            failures.push(format!("{expr}: matched {got}, want {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        VALID.len(),
        failures.join("\n")
    );
}

#[test]
fn issue_7_invalid_expressions_report_position_message_and_suggestion() {
    let mut failures = Vec::new();
    for (expr, pos, msg, suggestion) in INVALID {
        match Filter::compile_with(expr, FAKE) {
            Ok(_) => failures.push(format!("{expr:?}: compiled, want an error at {pos}")),
            Err(e) => {
                if e.pos != *pos || !e.message.contains(msg) || e.suggestion != *suggestion {
                    failures.push(format!(
                        "{expr:?}: got pos {} {:?} suggestion {:?}; want pos {pos} containing {msg:?} suggestion {suggestion:?}",
                        e.pos, e.message, e.suggestion
                    ));
                }
                // The rendering shows the expression and a caret under the position.
                let shown = e.to_string();
                let caret_line = shown.lines().nth(2).unwrap_or("");
                if caret_line.find('^') != Some(pos + 2) {
                    failures.push(format!("{expr:?}: caret misplaced:\n{shown}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        INVALID.len(),
        failures.join("\n")
    );
}

#[test]
fn issue_7_table_has_at_least_sixty_expressions() {
    assert!(VALID.len() + INVALID.len() >= 60);
}

#[test]
fn issue_7_suggestion_is_in_the_rendered_error() {
    let e = Filter::compile("ip.srcc == 10.0.0.1").unwrap_err();
    assert_eq!(
        e.to_string(),
        "\"ip.srcc\" is neither a field nor a protocol name; did you mean \"ip.src\"?\n  ip.srcc == 10.0.0.1\n  ^~~~~~~"
    );
}

#[test]
fn issue_7_registry_names_compile_without_the_fake_table() {
    // Names from the real registry (codec::fields) resolve with plain `compile`.
    for expr in [
        "ip.src == 10.0.0.0/8",
        "eth.src[0:3] == 00:21:6a",
        "udp.dstport in {434, 1701}",
        "gre.proto == 0x88b5",
    ] {
        let f = Filter::compile(expr).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.expr(), expr);
    }
}

#[test]
fn issue_7_a_compiled_filter_is_reusable_across_frames() {
    let f = Filter::compile_with("mvtp.avp.type == 5 || esp", FAKE).unwrap();
    let frames = frames();
    for _ in 0..3 {
        let got: Vec<bool> = frames.iter().map(|(d, fr)| f.matches(d, fr)).collect();
        assert_eq!(got, [true, true, false, false]);
    }
}

#[test]
fn issue_7_nesting_is_bounded_and_long_chains_are_flat() {
    let deep = format!("{}ip{}", "(".repeat(65), ")".repeat(65));
    assert!(Filter::compile(&format!("{}ip{}", "(".repeat(64), ")".repeat(64))).is_ok());
    let e = Filter::compile(&deep).unwrap_err();
    assert!(e.message.contains("nesting"), "{e}");
    let nots = format!("{}ip", "!".repeat(100_000));
    assert!(Filter::compile(&nots).is_err());
    // 20 000 terms joined by && and || compile and evaluate without deep recursion.
    let chain = vec!["ip.ttl == 64"; 20_000].join(" && ");
    let f = Filter::compile(&chain).unwrap();
    let (d, fr) = frame_d();
    assert!(f.matches(&d, &fr));
    let chain = vec!["ip.ttl == 3"; 20_000].join(" || ") + " || ip";
    assert!(Filter::compile(&chain).unwrap().matches(&d, &fr));
}

#[test]
fn issue_7_arbitrary_input_never_panics() {
    const PIECES: &[&str] = &[
        "ip.src",
        "ip",
        "eth.src",
        "mvtp.msg",
        "data.data",
        "mvtp.avp.type",
        "==",
        "!=",
        "~=",
        "===",
        "<",
        ">=",
        "(",
        ")",
        "!",
        "not",
        "&&",
        "||",
        "^^",
        "and",
        "{",
        "}",
        "..",
        ",",
        "\"",
        "'",
        "[",
        "]",
        ":",
        "-",
        "#",
        "&",
        "0x",
        "1",
        "-1",
        "0",
        "255",
        "99999999999999999999999",
        "10.0.0.0/8",
        "aa:bb",
        "00:21:6a:01:02:03",
        "contains",
        "matches",
        "in",
        "len(",
        "count(",
        "~",
        "\\",
        "é",
        "\"a\\x4",
        "(?i)",
        "[0:3]",
        "[-1]",
        "[1-2,4:]",
        "#2",
        " ",
        "true",
        "2001:db8::/32",
        "=",
        "|",
        "$",
        "\u{0}",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let frames = frames();
    let mut compiled = 0;
    for _ in 0..20_000 {
        let n = 1 + next() % 10;
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            if next() % 2 == 0 {
                s.push(' ');
            }
        }
        match Filter::compile_with(&s, FAKE) {
            Ok(f) => {
                compiled += 1;
                for (d, fr) in &frames {
                    let _ = f.matches(d, fr);
                }
            }
            Err(e) => {
                assert!(
                    e.pos <= s.len() && s.is_char_boundary(e.pos),
                    "{s:?}: position {} out of range",
                    e.pos
                );
                let _ = e.to_string();
            }
        }
    }
    assert!(compiled > 100, "only {compiled} random expressions compiled");
}
