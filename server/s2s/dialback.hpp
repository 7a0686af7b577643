// Server Dialback (XEP-0220) as pure functions: the key a server vouches
// for its own streams with (XEP-0185: HMAC-SHA256 keyed with the hex SHA-256
// of a server secret, over "receiving originating stream-id"), its check in
// constant time, and the elements of the protocol. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include "xmpp/element.hpp"

namespace server::dialback {

// Lower-case hex of HMAC-SHA256(hex(SHA-256(secret)), receiving + ' ' + originating + ' ' + stream_id).
std::string key(std::string_view secret, std::string_view receiving, std::string_view originating,
                std::string_view stream_id);
// Whether `offered` is the key for these names and stream id.
bool key_matches(std::string_view offered, std::string_view secret, std::string_view receiving,
                 std::string_view originating, std::string_view stream_id);

// 128 random bits in hex: a stream id, or a dialback secret made at start.
// Empty when the system has no randomness to give.
std::string random_hex_id();

// <db:result from to>key</db:result>, the originating server's claim.
xmpp::Element result_request(std::string_view from, std::string_view to, std::string_view key);
// <db:result from to type/>, the receiving server's verdict.
xmpp::Element result_answer(std::string_view from, std::string_view to, bool valid);
// <db:verify from to id>key</db:verify>, asked of the authoritative server.
xmpp::Element verify_request(std::string_view from, std::string_view to, std::string_view id, std::string_view key);
// <db:verify from to id type/>, the authoritative server's answer.
xmpp::Element verify_answer(std::string_view from, std::string_view to, std::string_view id, bool valid);

// A dialback element as it goes on the wire: with the "db" prefix and its
// declaration (<db:result xmlns:db='jabber:server:dialback' .../>). The
// prefix is what ejabberd's parser, which matches "db:result" and
// "db:verify" by their qualified names, recognises; namespace-aware peers
// read it the same as an unprefixed element.
std::string to_xml(const xmpp::Element& element);

}  // namespace server::dialback
