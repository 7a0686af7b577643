// The load generator's scenarios (login, ws-login, idle, msg, msg-sm-mam,
// resume, hibernated-memory, mam-query, xmq-any, xmq-all, xmq-any-acked,
// xmq-any-durable, pep-roster, pep-publish, muc-room, muc-join, register) over a pool of worker threads, each with its own io_context. Every
// scenario prints one JSON object on stdout with its figures and the
// generator's own CPU use, so that a script can collect it.
#pragma once

#include <string>

#include "connection.hpp"

namespace loadgen {

struct Options {
    std::string scenario;
    Target target;
    unsigned threads = 2;
    unsigned n = 1000;           // logins (login), sessions (idle), accounts (register, warm), contacts (pep-*)
    unsigned concurrency = 50;   // logins in progress at once
    unsigned users = 0;          // accounts u<offset>..; login cycles over them (0 = n)
    unsigned user_offset = 1;
    std::string user_prefix = "u";
    std::string password = "bench-pw";
    unsigned pairs = 100;        // msg
    unsigned window = 10;        // msg, xmq: per sender
    double rate = 0;             // msg, xmq: total msgs/s offered; 0 = saturation (window bound)
    double duration = 10;        // measured seconds (msg, xmq)
    double warmup = 2;
    unsigned publishers = 1;     // xmq
    unsigned consumers = 3;      // xmq
    std::string route = "queue1.localhost";
    std::string topic = "bench";
    int server_pid = 0;          // idle: whose RSS to read
    double settle = 3;           // idle: seconds before the RSS is read
    double hold = 0;             // idle: extra seconds to hold the sessions
    double timeout = 30;         // any single login/registration
    std::string scram_cache;     // file of cached salted passwords
    std::string ws_path = "/xmpp-websocket";  // ws-login: the WebSocket endpoint (over TLS)
    unsigned ack_every = 5;      // msg-sm-mam: <a/> per this many stanzas received, <r/> per this many sent;
                                 // xmq-any-acked/-durable: one ack command per this many deliveries
    unsigned messages = 3;       // resume: messages each session receives before the drop
    unsigned unacked = 2;        // resume: how many of them stay unacknowledged (resent on resume)
    unsigned archive = 0;        // mam-query: messages to send into the archive first (0 = it is filled)
    unsigned queries = 200;      // mam-query: sequential queries measured
    unsigned page = 50;          // mam-query: <max/> of each query
    double fill_timeout = 1800;  // mam-query: bound on filling the archive; pep-roster: on the handshake
    unsigned items = 200;        // pep-publish: measured publishes (--rate: per second; 0 = one at a time)
    double caps_timeout = 60;    // pep-publish: bound on the warm-up (until every receiver had a notification)
    std::string room = "bench";  // muc-*: the room, on conference.<domain>
    unsigned history = 50;       // muc-join: messages of history in the room, all asked for on each join
};

int run_scenario(const Options& options);

}  // namespace loadgen
