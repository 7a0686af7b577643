// Every XML namespace the server speaks, in one place.
#pragma once

#include <string_view>

namespace xmpp::ns {

inline constexpr std::string_view client = "jabber:client";
inline constexpr std::string_view server = "jabber:server";
inline constexpr std::string_view component_accept = "jabber:component:accept";  // XEP-0114
inline constexpr std::string_view dialback = "jabber:server:dialback";            // XEP-0220 elements
inline constexpr std::string_view dialback_feature = "urn:xmpp:features:dialback";  // XEP-0220 stream feature
inline constexpr std::string_view stream = "http://etherx.jabber.org/streams";
inline constexpr std::string_view streams = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view tls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view bind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view session = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view framing = "urn:ietf:params:xml:ns:xmpp-framing";
inline constexpr std::string_view xml = "http://www.w3.org/XML/1998/namespace";

inline constexpr std::string_view disco_info = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view disco_items = "http://jabber.org/protocol/disco#items";
inline constexpr std::string_view ping = "urn:xmpp:ping";
inline constexpr std::string_view version = "jabber:iq:version";
inline constexpr std::string_view roster = "jabber:iq:roster";
inline constexpr std::string_view roster_versioning = "urn:xmpp:features:rosterver";  // stream feature
inline constexpr std::string_view private_xml = "jabber:iq:private";
inline constexpr std::string_view privacy = "jabber:iq:privacy";
inline constexpr std::string_view vcard = "vcard-temp";
inline constexpr std::string_view last = "jabber:iq:last";
inline constexpr std::string_view time = "urn:xmpp:time";
inline constexpr std::string_view delay = "urn:xmpp:delay";
inline constexpr std::string_view blocking = "urn:xmpp:blocking";
inline constexpr std::string_view blocking_errors = "urn:xmpp:blocking:errors";
inline constexpr std::string_view register_query = "jabber:iq:register";
inline constexpr std::string_view register_feature = "http://jabber.org/features/iq-register";  // stream feature
inline constexpr std::string_view offline_feature = "msgoffline";  // XEP-0160 disco feature
inline constexpr std::string_view carbons = "urn:xmpp:carbons:2";               // XEP-0280
inline constexpr std::string_view forward = "urn:xmpp:forward:0";               // XEP-0297
inline constexpr std::string_view hints = "urn:xmpp:hints";                     // XEP-0334
inline constexpr std::string_view chat_states = "http://jabber.org/protocol/chatstates";  // XEP-0085
inline constexpr std::string_view muc_user = "http://jabber.org/protocol/muc#user";       // XEP-0045
inline constexpr std::string_view muc = "http://jabber.org/protocol/muc";                 // XEP-0045 (join)
inline constexpr std::string_view muc_owner = "http://jabber.org/protocol/muc#owner";     // XEP-0045 §10
inline constexpr std::string_view muc_admin = "http://jabber.org/protocol/muc#admin";     // XEP-0045 §9
// FORM_TYPE values of the XEP-0045 data forms.
inline constexpr std::string_view muc_roomconfig = "http://jabber.org/protocol/muc#roomconfig";
inline constexpr std::string_view muc_roominfo = "http://jabber.org/protocol/muc#roominfo";
inline constexpr std::string_view muc_request = "http://jabber.org/protocol/muc#request";  // voice requests
inline constexpr std::string_view muc_register = "http://jabber.org/protocol/muc#register";  // §7.10
// Room disco features: the room keeps the ids of the messages it reflects;
// it answers a self-ping (XEP-0410) itself.
inline constexpr std::string_view muc_stable_id = "http://jabber.org/protocol/muc#stable_id";
inline constexpr std::string_view muc_self_ping = "http://jabber.org/protocol/muc#self-ping-optimization";
inline constexpr std::string_view occupant_id = "urn:xmpp:occupant-id:0";                 // XEP-0421
inline constexpr std::string_view direct_invite = "jabber:x:conference";                  // XEP-0249
inline constexpr std::string_view stanza_id = "urn:xmpp:sid:0";                 // XEP-0359
inline constexpr std::string_view csi = "urn:xmpp:csi:0";                       // XEP-0352
inline constexpr std::string_view sm = "urn:xmpp:sm:3";  // XEP-0198 stream management
inline constexpr std::string_view mam = "urn:xmpp:mam:2";                     // XEP-0313
inline constexpr std::string_view mam_extended = "urn:xmpp:mam:2#extended";   // XEP-0313 disco feature
inline constexpr std::string_view rsm = "http://jabber.org/protocol/rsm";     // XEP-0059
inline constexpr std::string_view data_forms = "jabber:x:data";               // XEP-0004
inline constexpr std::string_view extdisco = "urn:xmpp:extdisco:2";            // XEP-0215
inline constexpr std::string_view http_upload = "urn:xmpp:http:upload:0";      // XEP-0363
// FORM_TYPE of the XEP-0157 contact addresses in a server's disco#info.
inline constexpr std::string_view serverinfo = "http://jabber.org/network/serverinfo";
inline constexpr std::string_view caps = "http://jabber.org/protocol/caps";   // XEP-0115
inline constexpr std::string_view pubsub = "http://jabber.org/protocol/pubsub";              // XEP-0060
inline constexpr std::string_view pubsub_owner = "http://jabber.org/protocol/pubsub#owner";
inline constexpr std::string_view pubsub_event = "http://jabber.org/protocol/pubsub#event";
inline constexpr std::string_view pubsub_errors = "http://jabber.org/protocol/pubsub#errors";
// FORM_TYPE values of the XEP-0060 data forms.
inline constexpr std::string_view pubsub_node_config = "http://jabber.org/protocol/pubsub#node_config";
inline constexpr std::string_view pubsub_publish_options = "http://jabber.org/protocol/pubsub#publish-options";
inline constexpr std::string_view push = "urn:xmpp:push:0";                         // XEP-0357
inline constexpr std::string_view push_summary = "urn:xmpp:push:summary";
inline constexpr std::string_view bookmarks = "urn:xmpp:bookmarks:1";            // XEP-0402 (node and payload)
inline constexpr std::string_view bookmarks_compat = "urn:xmpp:bookmarks:1#compat";  // XEP-0402 §5.3, private XML
inline constexpr std::string_view bookmarks_compat_pep = "urn:xmpp:bookmarks:1#compat-pep";  // XEP-0402, PEP storage:bookmarks
inline constexpr std::string_view bookmarks_legacy = "storage:bookmarks";        // XEP-0048 (payload, PEP node)
inline constexpr std::string_view avatar_data = "urn:xmpp:avatar:data";          // XEP-0084
inline constexpr std::string_view avatar_metadata = "urn:xmpp:avatar:metadata";  // XEP-0084
inline constexpr std::string_view vcard_update = "vcard-temp:x:update";          // XEP-0153
inline constexpr std::string_view pep_vcard_conversion = "urn:xmpp:pep-vcard-conversion:0";  // XEP-0398
inline constexpr std::string_view bookmarks_conversion = "urn:xmpp:bookmarks-conversion:0";  // XEP-0411

// XEP-0227 (PIEFXIS), and the namespace of its drafts before 1.0, still read.
inline constexpr std::string_view pie = "urn:xmpp:pie:0";
inline constexpr std::string_view pie_scram = "urn:xmpp:pie:0#scram";
inline constexpr std::string_view pie_mam = "urn:xmpp:pie:0#mam";
inline constexpr std::string_view pie_draft = "http://www.xmpp.org/extensions/xep-0227.html#ns";

inline constexpr std::string_view xmq_command = "xmq:command";
inline constexpr std::string_view xmq_topic = "xmq:topic";
inline constexpr std::string_view xmq_load = "xmq:load";
inline constexpr std::string_view xmq_delivery = "xmq:delivery";  // delivery tag of acked queues
inline constexpr std::string_view xmq_stats_form = "urn:xmq:stats";  // FORM_TYPE of a topic's disco#info form

}  // namespace xmpp::ns
