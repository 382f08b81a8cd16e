//! Fault variants of the MVTP scenarios for the rules the first set leaves untouched: one
//! agent knob each (two where one fault needs another to show), so that every stateful
//! MVTP rule of the catalogue has a capture that breaks it. The frames of each finding are
//! picked from what the faulty agent sent, as in the parent module.

use super::{at, data_before_registration, establish, expiry, is_from, roam, roam_at, server_rrp, Fault, Scenario, Which};
use crate::sim::net::Net;
use crate::sim::topo::Topology;
use crate::sim::{Frame, Framing, Link};
use agents::harness::Node;
use agents::msg::dn_code;
use agents::{Body, ClientFault, FaFault, ServerFault};

fn one(fas: usize) -> Topology {
    Topology {
        fas,
        clients: 1,
        seed: 2026,
        lifetime: 1_800,
        loss_per_mille: 0,
        dup_per_mille: 0,
    }
}

fn client(net: &mut Net, f: ClientFault) {
    if let Some(c) = net.clients.get_mut(0) {
        c.config_mut().faults.enable(f);
    }
}

fn fa(net: &mut Net, i: usize, f: FaFault) {
    if let Some(a) = net.fas.get_mut(i) {
        a.config_mut().faults.enable(f);
    }
}

fn server(net: &mut Net, f: ServerFault) {
    if let Some(s) = net.servers.get_mut(0) {
        s.config_mut().faults.enable(f);
    }
}

fn body(fr: &Frame) -> Option<&Body> {
    fr.msg().map(|m| &m.body)
}

/// An MV-FAA sent by FA 0.
fn fa0_faa(fr: &Frame) -> bool {
    is_from(fr, Node::Fa(0)) && matches!(body(fr), Some(Body::Faa { .. }))
}

fn faa_seq(fr: &Frame) -> u64 {
    match body(fr) {
        Some(Body::Faa { adv, .. }) => u64::from(adv.seq),
        _ => 0,
    }
}

/// The client's MV-FAS.
fn client_fas(fr: &Frame) -> bool {
    is_from(fr, Node::Client(0)) && matches!(body(fr), Some(Body::Fas))
}

/// The client's MV-DATA.
fn client_data(fr: &Frame) -> bool {
    is_from(fr, Node::Client(0)) && matches!(body(fr), Some(Body::Data { .. }))
}

/// A PDU the client signed (MV-RRQ, MV-DN), as sent or as relayed by the FA.
fn client_signed(fr: &Frame) -> bool {
    let relayed = is_from(fr, Node::Fa(0)) && fr.link == Link::Core;
    (is_from(fr, Node::Client(0)) || relayed) && matches!(body(fr), Some(Body::Rrq(_)) | Some(Body::Dn { .. }))
}

/// The client's MV-RRQs on FA 2's access link.
fn client_rrq_at_fa2(fr: &Frame) -> bool {
    is_from(fr, Node::Client(0)) && fr.link == Link::Access(1) && matches!(body(fr), Some(Body::Rrq(_)))
}

/// The server's MV-RRP code 137 (stale Connect ID).
fn server_stale_rrp(fr: &Frame) -> bool {
    is_from(fr, Node::Server(0)) && matches!(body(fr), Some(Body::Rrp(r)) if r.code == 137)
}

/// Any MV-RRP of the server (IP/GRE, on the core).
fn server_any_rrp(fr: &Frame) -> bool {
    is_from(fr, Node::Server(0)) && fr.link == Link::Core && matches!(body(fr), Some(Body::Rrp(_)))
}

/// The server's MV-DN code 1 (expiry).
fn server_expiry_dn(fr: &Frame) -> bool {
    is_from(fr, Node::Server(0)) && matches!(body(fr), Some(Body::Dn { code, .. }) if *code == dn_code::EXPIRED)
}

/// The server's accepting MV-RRP of the roam's registration, wherever it was sent.
fn server_roam_rrp(fr: &Frame) -> bool {
    server_rrp(fr) && matches!(body(fr), Some(Body::Rrp(r)) if r.roam_notify)
}

pub(super) fn all() -> Vec<Scenario> {
    let dix1 = vec![Framing::Dix];
    let two = vec![Framing::Dix, Framing::Snap];
    vec![
        Scenario {
            name: "mvtp-establish-no-unicast-answer",
            description: "mvtp-establish where the FA does not answer the client's MV-FAS; the client registers after the next periodic MV-FAA",
            sections: "PROC-1",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "fa:NoUnicastAnswer",
                rule: "PROC-1",
                severity: "error",
                pick: client_fas,
                which: Which::First,
                why: "the MV-FAS nobody answered",
            }],
            run: |net| {
                fa(net, 0, FaFault::NoUnicastAnswer);
                establish(net);
            },
        },
        Scenario {
            name: "mvtp-establish-sequence-decrease",
            description: "mvtp-establish, 11.5 s long, where the FA steps its Advertisement Sequence Number back by 3 every fifth advertisement",
            sections: "PROC-2",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "fa:SequenceDecrease",
                rule: "PROC-2",
                severity: "warning",
                pick: fa0_faa,
                which: Which::Lower(faa_seq),
                why: "each MV-FAA whose sequence number is below the previous one's (not a restart: above 255)",
            }],
            run: |net| {
                fa(net, 0, FaFault::SequenceDecrease);
                establish(net);
                // Long enough for the fifth and tenth advertisements.
                net.run_until(at(11_500));
            },
        },
        Scenario {
            name: "mvtp-establish-no-prefix-lengths",
            description: "mvtp-establish where the FA's advertisements carry no Prefix Lengths AVP",
            sections: "PROC-3",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "fa:NoPrefixLengths",
                rule: "PROC-3",
                severity: "warning",
                pick: fa0_faa,
                which: Which::All,
                why: "every MV-FAA of the FA",
            }],
            run: |net| {
                fa(net, 0, FaFault::NoPrefixLengths);
                establish(net);
            },
        },
        Scenario {
            name: "mvtp-establish-silent-fa",
            description: "mvtp-establish-data-before-registration where the FA drops the early MV-DATA without answering MV-DN code 2",
            sections: "PROC-11 PROC-12",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![
                Fault {
                    knob: "client:DataBeforeRegistration",
                    rule: "PROC-11",
                    severity: "error",
                    pick: client_data,
                    which: Which::First,
                    why: "the client's MV-DATA sent before the MV-RRP",
                },
                Fault {
                    knob: "fa:NoDnForInvalidPdu",
                    rule: "PROC-12",
                    severity: "error",
                    pick: client_data,
                    which: Which::First,
                    why: "the same MV-DATA, which the FA left unanswered",
                },
            ],
            run: |net| {
                client(net, ClientFault::DataBeforeRegistration);
                fa(net, 0, FaFault::NoDnForInvalidPdu);
                // Past the time by which the MV-DN code 2 was due.
                data_before_registration(net, 4_000);
            },
        },
        Scenario {
            name: "mvtp-establish-wrong-data-encap",
            description: "mvtp-establish where the client's MV-DATA carries an Encap Type other than the one it registered",
            sections: "PROC-13",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "client:WrongDataEncap",
                rule: "PROC-13",
                severity: "error",
                pick: client_data,
                which: Which::All,
                why: "every MV-DATA of the client",
            }],
            run: |net| {
                client(net, ClientFault::WrongDataEncap);
                establish(net);
            },
        },
        Scenario {
            name: "mvtp-establish-wrong-ident-echo",
            description: "mvtp-establish where the server's replies carry another Identification than the request's",
            sections: "FMT-13",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "server:WrongIdentEcho",
                rule: "FMT-13",
                severity: "error",
                pick: server_any_rrp,
                which: Which::All,
                why: "every MV-RRP of the server",
            }],
            run: |net| {
                server(net, ServerFault::WrongIdentEcho);
                establish(net);
            },
        },
        Scenario {
            name: "mvtp-establish-wrong-encap-echo",
            description: "mvtp-establish where the server's replies carry another Encap Type than the request's",
            sections: "FMT-12",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "server:WrongEncapEcho",
                rule: "FMT-12",
                severity: "error",
                pick: server_any_rrp,
                which: Which::All,
                why: "every MV-RRP of the server",
            }],
            run: |net| {
                server(net, ServerFault::WrongEncapEcho);
                establish(net);
            },
        },
        Scenario {
            name: "mvtp-establish-unauthenticated-reply",
            description: "mvtp-establish where the server's replies carry no Mobile-Home Authentication AVP",
            sections: "AUTH-4",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "server:UnauthenticatedReplies",
                rule: "AUTH-4",
                severity: "error",
                pick: server_any_rrp,
                which: Which::All,
                why: "every MV-RRP of the server",
            }],
            run: |net| {
                server(net, ServerFault::UnauthenticatedReplies);
                establish(net);
            },
        },
        Scenario {
            name: "mvtp-establish-skip-authentication",
            description: "mvtp-establish where the client's Mobile-Home authenticator is corrupt and the server accepts it anyway",
            sections: "AUTH-5",
            topo: one(1),
            framing: dix1.clone(),
            faults: vec![
                Fault {
                    knob: "client:BadAuthenticator",
                    rule: "AUTH-5",
                    severity: "error",
                    pick: client_signed,
                    which: Which::All,
                    why: "every PDU carrying the client's corrupt Mobile-Home authenticator: its MV-RRQ and MV-DN, and the FA's IP/GRE copies of them",
                },
                Fault {
                    knob: "server:SkipAuthentication",
                    rule: "AUTH-5",
                    severity: "error",
                    pick: server_rrp,
                    which: Which::First,
                    why: "the server's MV-RRP code 0 to a request whose authenticator does not verify",
                },
            ],
            run: |net| {
                client(net, ClientFault::BadAuthenticator);
                server(net, ServerFault::SkipAuthentication);
                establish(net);
            },
        },
        Scenario {
            name: "mvtp-expiry-wrong-dn-connect-id",
            description: "mvtp-expiry where the server's expiry MV-DN code 1 carries a Connect ID other than the latest valid registration's",
            sections: "PROC-14",
            topo: Topology { lifetime: 20, ..one(1) },
            framing: dix1.clone(),
            faults: vec![Fault {
                knob: "server:WrongDnConnectId",
                rule: "PROC-14",
                severity: "error",
                pick: server_expiry_dn,
                which: Which::First,
                why: "the server's MV-DN code 1",
            }],
            run: |net| {
                server(net, ServerFault::WrongDnConnectId);
                expiry(net);
            },
        },
        Scenario {
            name: "mvtp-roam-no-roam-notify",
            description: "mvtp-roam, 10 s long, where the server accepts the N = 1 registration at FA2 but sends no MV-DN code 5 to FA1",
            sections: "PROC-15",
            topo: one(2),
            framing: two.clone(),
            faults: vec![Fault {
                knob: "server:NoRoamNotify",
                rule: "PROC-15",
                severity: "error",
                pick: server_roam_rrp,
                which: Which::First,
                why: "the server's MV-RRP accepting the roam, after which no Roam Notify followed",
            }],
            run: |net| {
                server(net, ServerFault::NoRoamNotify);
                roam(net);
                // Past the Roam Notify's due time.
                net.run_until(at(10_000));
            },
        },
        Scenario {
            name: "mvtp-roam-ignore-record-age",
            description: "mvtp-roam-skip-connect-id (the client reuses its Connect ID at FA2, 11 s after registering) where the server ignores the record's age and refuses the valid request as stale (137)",
            sections: "PROC-6",
            topo: one(2),
            framing: two.clone(),
            faults: vec![
                Fault {
                    knob: "client:SkipConnectIdIncrement",
                    rule: "PROC-4",
                    severity: "error",
                    pick: client_rrq_at_fa2,
                    which: Which::First,
                    why: "the client's first MV-RRQ on FA2's link, a new attempt with the old Connect ID",
                },
                Fault {
                    knob: "server:IgnoreRecordAge",
                    rule: "PROC-6",
                    severity: "error",
                    pick: server_stale_rrp,
                    which: Which::First,
                    why: "the server's MV-RRP code 137 to a request that is valid because the record is older than MAX_MVTP_PDU_LIFETIME",
                },
            ],
            run: |net| {
                client(net, ClientFault::SkipConnectIdIncrement);
                server(net, ServerFault::IgnoreRecordAge);
                roam_at(net, 12_500);
            },
        },
        Scenario {
            name: "mvtp-roam-reply-to-old-care-of",
            description: "mvtp-roam where the server sends its reply to the roam's registration to FA1's care-of address",
            sections: "PROC-8",
            topo: one(2),
            framing: two.clone(),
            faults: vec![Fault {
                knob: "server:ReplyToOldCareOf",
                rule: "PROC-8",
                severity: "error",
                pick: server_roam_rrp,
                which: Which::First,
                why: "the server's MV-RRP of the roam, sent to the old care-of address",
            }],
            run: |net| {
                server(net, ServerFault::ReplyToOldCareOf);
                roam(net);
            },
        },
    ]
}
