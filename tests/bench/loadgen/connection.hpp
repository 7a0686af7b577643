// One client connection of the load generator: TCP, STARTTLS (or direct TLS),
// SCRAM-SHA-1, bind, optionally stream management (XEP-0198: enable with
// resume, or resume a session after a reconnect) and initial presence, or
// in-band registration (XEP-0077); then a read loop that hands every benchmark
// token in the received bytes to a TokenSink (or every top-level element to an
// ElementSink), and a write path that coalesces everything queued while a write
// is in flight into the next single write.
// Owned by shared_ptr; lives on one io_context (one generator thread) for its
// whole life, so its state needs no lock: other threads reach it by posting.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "scram_client.hpp"

namespace loadgen {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Target {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5222;
    std::string domain = "localhost";
    bool direct_tls = false;  // TLS from the first byte (XEP-0368) instead of STARTTLS
    bool raw = false;         // raw TLS relay: TLS only, no XMPP at all
};

// Benchmark tokens are "@@SSSSSSSS:TTTTTTTTTTTTTTTTTTT": sender index and send time in ns.
constexpr std::size_t token_size = 30;

// Reads the token whose "@@" starts at `p` (token_size bytes available):
// false when those bytes are not a token.
inline bool read_token(const char* p, std::uint32_t& sender, std::uint64_t& ts) {
    p += 2;
    sender = 0;
    ts = 0;
    bool ok = p[8] == ':';
    for (int i = 0; ok && i < 8; ++i) ok = p[i] >= '0' && p[i] <= '9', sender = sender * 10 + (p[i] - '0');
    for (int i = 0; ok && i < 19; ++i) ok = p[9 + i] >= '0' && p[9 + i] <= '9', ts = ts * 10 + (p[9 + i] - '0');
    return ok;
}

class Connection;

class TokenSink {
public:
    virtual ~TokenSink() = default;
    virtual void on_token(Connection& receiver, std::uint32_t sender, std::uint64_t sent_ns) = 0;
    // Called after each chunk read, so that credits can be handed back in batches.
    virtual void on_chunk_done(Connection& receiver) = 0;
};

// The element-level read loop's consumer (stream management needs to see each
// stanza and each <r/> and <a/>, not only the tokens).
class ElementSink {
public:
    virtual ~ElementSink() = default;
    virtual void on_element(Connection& receiver, std::string_view name, std::string_view element) = 0;
    virtual void on_chunk_done(Connection& receiver) = 0;
};

// Stream management state of one connection, kept by the scenarios (this
// connection's thread only). Counts are of stanzas (message, presence, iq).
struct SmState {
    bool enabled = false;
    std::string id;                 // previd for a resume
    std::uint32_t received = 0;     // stanzas received since <enabled/> (the h we would report)
    std::uint32_t reported = 0;     // the last h we sent in an <a/>
    std::uint32_t sent = 0;         // stanzas sent since <enabled/>
    std::uint32_t requested_at = 0; // `sent` when we last sent an <r/>
    std::uint32_t server_h = 0;     // the last h the server reported
    std::uint64_t acks_in = 0;      // <a/> received
    std::uint64_t requests_in = 0;  // <r/> received
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(asio::io_context& io, asio::ssl::context& tls, std::uint32_t index, unsigned worker);

    // Each throws std::runtime_error on failure; all waits are bounded by `timeout_s`.
    asio::awaitable<void> connect(const Target& target, double timeout_s);
    // STARTTLS, SCRAM, bind; then, with `sm`, <enable resume='true'/> (fails when the server
    // offers no urn:xmpp:sm:3 or refuses); then initial presence (`presence`, "" for the plain one).
    asio::awaitable<void> login(const Target& target, const std::string& user, const std::string& resource,
                                ScramCache& cache, double timeout_s, bool sm = false,
                                const std::string& presence = {});
    // STARTTLS and SCRAM only, leaving the stream restarted with its features read
    // (the step before a bind or a resume).
    asio::awaitable<void> authenticate(const Target& target, const std::string& user, ScramCache& cache,
                                       double timeout_s);
    // The next top-level element (stream headers skipped): name and whole text; bounded by `timeout_s`.
    asio::awaitable<std::pair<std::string, std::string>> next_element(double timeout_s);
    asio::awaitable<void> register_account(const Target& target, const std::string& user,
                                           const std::string& password, double timeout_s);
    // Sends an iq and waits for its answer; true when it is a result.
    asio::awaitable<bool> iq(const std::string& xml, const std::string& id, double timeout_s);

    // Runs until the connection closes, handing tokens to `sink`.
    asio::awaitable<void> read_tokens(TokenSink& sink);
    void send(std::string_view bytes);
    // Runs until the connection closes, handing every top-level element to `sink`.
    asio::awaitable<void> read_elements(ElementSink& sink);
    // Sends the stream close and closes the socket without waiting for the server's answer.
    void close(bool say_goodbye = true);
    // Drops the connection as a phone losing its network would look to the server:
    // no </stream:stream>, no TLS close_notify, and a TCP RST (SO_LINGER 0).
    void abort();

    std::uint32_t index() const { return index_; }
    unsigned worker() const { return worker_; }
    bool open() const { return open_; }

    // Sender state used by the scenarios (touched on this connection's thread only).
    std::uint32_t peer = 0;          // msg: the peer's connection index
    std::int64_t in_flight = 0;      // deliveries not yet seen
    std::uint64_t sent = 0;
    SmState sm;

private:
    asio::awaitable<std::size_t> read_more();
    // The next top-level element (stream headers skipped): name and whole text.
    asio::awaitable<std::pair<std::string, std::string>> read_element();
    asio::awaitable<void> enable_sm();
    asio::awaitable<void> write_loop();
    asio::awaitable<void> open_stream(const Target& target);  // header, then features
    asio::awaitable<void> start_tls(const Target& target);    // no-op once encrypted
    void arm(double seconds);
    void disarm();

    asio::ssl::stream<tcp::socket> stream_;
    asio::steady_timer watchdog_;
    std::uint32_t index_;
    unsigned worker_;
    bool tls_ = false;
    bool open_ = false;
    bool writing_ = false;
    bool closing_ = false;
    std::string in_, out_, writing_buf_, features_;
};

std::string stream_header(const std::string& domain);
// The text between an element's start and end tags ("" for an empty element).
std::string element_text(const std::string& element);
// True when the element's start tag says type='result'.
bool is_result(const std::string& element);

}  // namespace loadgen
