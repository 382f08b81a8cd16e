//! Command-line grammar (clap derive). Option letters follow tcpdump and tshark where they
//! agree (`-r -c -n -l -V -x -T -e -w -Y -d -t -i -f -D`); `-E` is tcpdump's ESP secrets.

use clap::{Args, Parser, Subcommand, ValueEnum};

const READ_EXAMPLES: &str = "\
Examples:
  mvtp read -r cap.pcap                               one line per packet
  mvtp read -r cap.pcapng -V                          layer tree
  mvtp read -r cap.pcap -x -c 10                      hex dump of the first 10 packets
  mvtp read -r cap.pcap -T json > packets.json        JSON array (docs/json-schema.md)
  mvtp read -r cap.pcap -T jsonl                      one JSON object per line
  mvtp read -r cap.pcap -T fields -e frame.number -e ip.src -e mvtp.leid --header
  mvtp read -r cap.pcap -T fields -e ip.src --separator ,
  mvtp read -r cap.pcap -Y 'mvtp.type == 4 && ip.src == 198.51.100.0/24'
  mvtp read -r cap.pcap -Y mvtp -w mvtp-only.pcapng   keep the MVTP packets
  mvtp read -r cap.pcap --keys keys.json              verify authenticators, decrypt ESP
  mvtp read -r cap.pcap -E 'file esp-secrets.txt'     tcpdump's ESP secrets syntax
  mvtp read -r cap.pcap -E '0x1000@192.0.2.1 aes128-cbc-hmac96:0x00112233445566778899aabbccddeeff'
  mvtp read -r cap.pcap -d udp.port==9999,l2tp        decode UDP port 9999 as L2TP
  mvtp read -r cap.pcap -d gre.proto==0x9999,mvtp     decode GRE type 0x9999 as MVTP
  mvtp read -r growing.pcap --follow -l               keep reading as the file grows
  tcpdump -w - -i eth0 | mvtp read -r -               from stdin
  mvtp read -r cap.pcap -q --summary                  counts only, as one JSON object

Exit status: 0 the capture was read (malformed packets are data), 2 usage error or
unreadable input, 3 a requested action could not be applied (a key that decrypts
nothing, a packet that could not be written).";

/// The mvtp toolkit: dissect MVTP, L2TP hand-off, Mobile IPv4/RFC 5265 and Mobile IPsec captures.
#[derive(Parser, Debug)]
#[command(name = "mvtp", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read a capture (file, stdin, growing file, interface) and print, filter or write its packets.
    #[command(after_help = READ_EXAMPLES)]
    Read(Box<ReadArgs>),
    /// List every display-filter field (like `tshark -G fields`).
    Fields(FieldsArgs),
    /// Judge a capture against every clause of the spec (see docs/conformance.md).
    Check(Box<crate::check_cmd::CheckArgs>),
    /// Count a capture: hierarchy, conversations, registrations, bindings, tunnels, overhead.
    Stats(Box<crate::stats_cmd::StatsArgs>),
    /// Terminal UI: packet list, layer tree, hex, live findings, bindings, statistics (docs/tui.md).
    Tui(Box<crate::tui_cmd::TuiArgs>),
    /// Replay a capture: rewrite it (-w), send it on an interface with pacing (-i), or --dry-run (docs/replay.md).
    Replay(Box<crate::replay_cmd::ReplayArgs>),
    /// Run a reference agent on a network: `mvtp agent server` (docs/agent.md; needs root).
    Agent(Box<crate::agent_cmd::AgentArgs>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Output formats of `-T`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutFormat {
    /// One line per packet (default), or the tree with -V.
    Text,
    /// One JSON array of packet objects (schema mvtp-packet/1).
    Json,
    /// One JSON object per line (JSON Lines).
    Jsonl,
    /// Tab-separated columns of the fields given with -e.
    Fields,
}

/// `--color`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// When standard output is a terminal (and NO_COLOR is unset).
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `mvtp read`.
#[derive(Args, Debug)]
pub struct ReadArgs {
    /// Capture file to read (pcap or pcapng); `-` for standard input.
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Option<String>,
    /// Capture file (same as -r).
    #[arg(value_name = "FILE", conflicts_with = "read")]
    pub file: Option<String>,
    /// Keep reading at the end of the file as it grows (like tail -f); implies -l.
    #[arg(long)]
    pub follow: bool,
    /// Capture live on this interface (needs the `live` build feature).
    #[arg(short = 'i', long = "interface", value_name = "IFACE", conflicts_with_all = ["read", "file"])]
    pub interface: Option<String>,
    /// Capture filter (BPF syntax) for live capture.
    #[arg(short = 'f', value_name = "BPF")]
    pub capture_filter: Option<String>,
    /// List the interfaces live capture can use, and exit.
    #[arg(short = 'D', long = "list-interfaces")]
    pub list_interfaces: bool,
    /// Stop after this many packets (counted after the display filter).
    #[arg(short = 'c', value_name = "N")]
    pub count: Option<u64>,
    /// Do not resolve names (accepted for tcpdump/tshark habits: mvtp never resolves).
    #[arg(short = 'n')]
    pub no_resolve: bool,
    /// Flush the output after every packet.
    #[arg(short = 'l')]
    pub line_buffered: bool,
    /// Print the layer tree of every packet.
    #[arg(short = 'V')]
    pub verbose: bool,
    /// Print the octets of every packet in hex and ASCII.
    #[arg(short = 'x')]
    pub hex: bool,
    /// Output format.
    #[arg(short = 'T', value_enum, default_value = "text", value_name = "FORMAT")]
    pub format: OutFormat,
    /// A field for -T fields (repeat for more columns; implies -T fields).
    #[arg(short = 'e', value_name = "FIELD")]
    pub fields: Vec<String>,
    /// Column separator for -T fields (default tab; `\t`, `tab`, `space` understood).
    #[arg(long, value_name = "SEP")]
    pub separator: Option<String>,
    /// Print the field names as the first line of -T fields.
    #[arg(long)]
    pub header: bool,
    /// ESP secrets in tcpdump's -E syntax: `[SPI@DST] ALGO:SECRET[:AUTHKEY]`, comma-separated, or `file PATH`.
    #[arg(short = 'E', value_name = "SECRETS")]
    pub esp_secrets: Vec<String>,
    /// Keys file (JSON: mvtp_auth, mip_auth, esp, l2tp_secret — the spec vectors' `keys`).
    #[arg(long, value_name = "FILE")]
    pub keys: Option<String>,
    /// Write the packets that pass the display filter to FILE (.pcapng → pcapng, else pcap; `-` stdout).
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<String>,
    /// Display filter (Wireshark syntax): only matching packets are printed, counted by -c and written.
    #[arg(short = 'Y', value_name = "FILTER")]
    pub display_filter: Option<String>,
    /// Decode as: `udp.port==9999,l2tp`, `tcp.port==N,PROTO`, `gre.proto==0x9999,mvtp`, `eth.type==0x88b6,mvtp`.
    #[arg(short = 'd', value_name = "RULE")]
    pub decode_as: Vec<String>,
    /// Time column: a (time of day, UTC), ad (date and time, UTC), r (since first, default), d (delta), dd (delta displayed), e (epoch), n (none).
    #[arg(short = 't', value_name = "FORMAT", default_value = "r")]
    pub time: String,
    /// Print a final JSON object with counts (packets, protocols, errors by kind, failures by reason).
    #[arg(long)]
    pub summary: bool,
    /// Print no packets (with --summary, -w).
    #[arg(short = 'q')]
    pub quiet: bool,
    /// Colour the text output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

/// `mvtp fields`.
#[derive(Args, Debug)]
pub struct FieldsArgs {
    /// Only fields whose name starts with this (e.g. `mvtp.` or `l2tp.handoff`).
    pub prefix: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn grammar_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
