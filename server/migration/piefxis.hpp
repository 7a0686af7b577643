// The user data of a XEP-0227 (PIEFXIS) file, as xmqd keeps it: what the
// reader makes of a file, what the importer writes to the store, what the
// exporter reads from it and the writer turns back into XML.
//
// XEP-0227 §4: <server-data xmlns='urn:xmpp:pie:0'> holds <host jid=…>, each
// holding <user name=… [password=…]> with the user's data as children:
// <scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism=…> (§4.2.1), the
// roster (<query xmlns='jabber:iq:roster'>), pending inbound subscription
// requests (<presence type='subscribe'/>), <offline-messages>, private XML
// (<query xmlns='jabber:iq:private'>) and the vCard (<vCard xmlns='vcard-temp'>).
// The block list travels as ejabberd writes it: a default privacy list
// (jabber:iq:privacy) of JIDs denied everything. The message archive is
// XEP-0227's <archive xmlns='urn:xmpp:pie:0#mam'>: the archiving preferences
// (<prefs xmlns='urn:xmpp:mam:2'>) and one <result xmlns='urn:xmpp:mam:2'
// id=…> per message, oldest first, each a <forwarded/> message with its
// <delay/> stamp, as a XEP-0313 query returns it.
// PEP nodes (XEP-0227 §4.9, as Prosody and ejabberd write them): a
// <pubsub xmlns='http://jabber.org/protocol/pubsub#owner'> with a
// <configure node=…> holding the node_config form per node (and, read and
// written by xmqd, its <affiliations/> and <subscriptions/> beyond the
// owner), and a <pubsub xmlns='http://jabber.org/protocol/pubsub'> with an
// <items node=…> per node, its <item id=… [publisher=…]> oldest first.
//
// Plain value types; no thread affinity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/scram.hpp"
#include "pubsub/config.hpp"
#include "xmpp/subscription_state.hpp"
#include "xmpp/element.hpp"
#include "xmpp/namespaces.hpp"

namespace server::migration {

inline constexpr std::string_view pie_ns = xmpp::ns::pie;
// The namespace of XEP-0227 before version 1.0, still read.
inline constexpr std::string_view pie_old_ns = xmpp::ns::pie_draft;
inline constexpr std::string_view pie_scram_ns = xmpp::ns::pie_scram;
inline constexpr std::string_view roster_ns = xmpp::ns::roster;
inline constexpr std::string_view private_ns = xmpp::ns::private_xml;
inline constexpr std::string_view privacy_ns = xmpp::ns::privacy;
inline constexpr std::string_view vcard_ns = xmpp::ns::vcard;
inline constexpr std::string_view client_ns = xmpp::ns::client;
inline constexpr std::string_view delay_ns = xmpp::ns::delay;
inline constexpr std::string_view pie_mam_ns = xmpp::ns::pie_mam;
inline constexpr std::string_view mam_ns = xmpp::ns::mam;
inline constexpr std::string_view forward_ns = xmpp::ns::forward;
inline constexpr std::string_view pubsub_ns = xmpp::ns::pubsub;
inline constexpr std::string_view pubsub_owner_ns = xmpp::ns::pubsub_owner;

struct PieContact {
    std::string jid;  // normalised bare JID
    std::string name;
    std::vector<std::string> groups;
    xmpp::SubState state = xmpp::SubState::none;
    bool in_roster = true;  // false: only a pending inbound request (RFC 6121 §3.1.3)
};

struct PieOfflineMessage {
    xmpp::Element message;  // in jabber:client
    std::int64_t stamp = 0;  // Unix seconds of its XEP-0203 delay; 0 when it has none
};

struct PieArchivedMessage {
    std::string id;             // its archive id; empty: the import gives it one
    std::int64_t stamp_us = 0;  // Unix microseconds of its delay stamp
    xmpp::Element message;      // in jabber:client
};

struct PieArchivePrefs {
    std::string default_mode;  // "always", "never", "roster"
    std::vector<std::string> always;
    std::vector<std::string> never;
};

struct PiePepItem {
    std::string id;
    std::string publisher;                 // bare JID; the user when the file names none
    std::optional<xmpp::Element> payload;  // none: an item without payload
};

struct PiePepNode {
    std::string name;
    pubsub::NodeConfig config;
    std::vector<std::pair<std::string, std::string>> affiliations;  // bare JID, affiliation name
    std::vector<std::string> subscribers;                            // JIDs as they subscribed
    std::vector<PiePepItem> items;                                   // oldest first
};

struct PieUser {
    std::string name;                        // normalised localpart
    std::optional<std::string> password;     // plaintext, when the file holds one
    std::vector<auth::ScramSecret> secrets;  // at most one per hash
    std::vector<PieContact> contacts;
    std::optional<xmpp::Element> vcard;
    std::vector<xmpp::Element> private_xml;  // one document per namespace
    std::vector<PieOfflineMessage> offline;  // oldest first
    std::vector<std::string> blocked;        // JIDs as XEP-0191 items
    std::vector<PieArchivedMessage> archive;  // oldest first
    std::optional<PieArchivePrefs> archive_prefs;
    std::vector<PiePepNode> pep;  // by name
};

struct PieHost {
    std::string domain;  // normalised
    std::vector<PieUser> users;
};

struct PieData {
    std::vector<PieHost> hosts;
    // What the file held that xmqd keeps nowhere (privacy rules other than
    // blocking, PEP configuration values it does not know), one line each,
    // for the operator.
    std::vector<std::string> notes;
};

}  // namespace server::migration
