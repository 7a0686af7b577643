#include "connection.hpp"
#include "xml_split.hpp"

#include <array>
#include <stdexcept>

namespace loadgen {

using asio::use_awaitable;

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

}  // namespace

std::string element_text(const std::string& element) {
    auto open_end = element.find('>');
    auto close = element.rfind("</");
    if (open_end == std::string::npos || close == std::string::npos || close < open_end) return {};
    return element.substr(open_end + 1, close - open_end - 1);
}

bool is_result(const std::string& element) {
    auto tag_end = element.find('>');
    std::string_view tag(element.data(), tag_end == std::string::npos ? element.size() : tag_end);
    return tag.find("type='result'") != std::string_view::npos || tag.find("type=\"result\"") != std::string_view::npos;
}

std::string stream_header(const std::string& domain) {
    return "<?xml version='1.0'?><stream:stream to='" + domain +
           "' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
}

Connection::Connection(asio::io_context& io, asio::ssl::context& tls, std::uint32_t index, unsigned worker)
    : stream_(io, tls), watchdog_(io), index_(index), worker_(worker) {}

void Connection::arm(double seconds) {
    watchdog_.expires_after(std::chrono::microseconds(static_cast<long long>(seconds * 1e6)));
    watchdog_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->close(false);
    });
}

void Connection::disarm() { watchdog_.cancel(); }

asio::awaitable<void> Connection::connect(const Target& target, double timeout_s) {
    arm(timeout_s);
    tcp::endpoint ep(asio::ip::make_address(target.host), target.port);
    co_await stream_.next_layer().async_connect(ep, use_awaitable);
    stream_.next_layer().set_option(tcp::no_delay(true));
    open_ = true;
    if (target.raw) {
        // The relay pairs connections by a plain-text line before TLS, so that it
        // can put both ends of a pair on one of its threads.
        std::string hello = "pair " + std::to_string(index_ / 2) + "\n";
        co_await asio::async_write(stream_.next_layer(), asio::buffer(hello), use_awaitable);
        std::array<char, 3> ack;
        co_await asio::async_read(stream_.next_layer(), asio::buffer(ack), use_awaitable);
        if (std::string_view(ack.data(), 3) != "ok\n") fail("relay did not acknowledge the pairing line");
    }
    if (target.direct_tls || target.raw) {
        co_await stream_.async_handshake(asio::ssl::stream_base::client, use_awaitable);
        tls_ = true;
    }
    disarm();
}

asio::awaitable<std::size_t> Connection::read_more() {
    std::array<char, 8192> buf;
    std::size_t n = tls_ ? co_await stream_.async_read_some(asio::buffer(buf), use_awaitable)
                         : co_await stream_.next_layer().async_read_some(asio::buffer(buf), use_awaitable);
    in_.append(buf.data(), n);
    co_return n;
}

asio::awaitable<std::pair<std::string, std::string>> Connection::read_element() {
    for (;;) {
        SplitElement e;
        std::size_t consumed = 0;
        bool complete = loadgen::next_element(in_, e, consumed);
        if (complete) {
            std::pair<std::string, std::string> result{std::string(e.name), in_.substr(e.begin, e.end - e.begin)};
            in_.erase(0, consumed);
            co_return result;
        }
        in_.erase(0, consumed);
        co_await read_more();
    }
}

asio::awaitable<std::pair<std::string, std::string>> Connection::next_element(double timeout_s) {
    arm(timeout_s);
    auto element = co_await read_element();
    disarm();
    co_return element;
}

void Connection::send(std::string_view bytes) {
    if (!open_) return;
    out_.append(bytes);
    if (!writing_) {
        writing_ = true;
        asio::co_spawn(stream_.get_executor(), [self = shared_from_this()] { return self->write_loop(); },
                       asio::detached);
    }
}

asio::awaitable<void> Connection::write_loop() {
    try {
        while (!out_.empty() && open_) {
            writing_buf_.swap(out_);
            out_.clear();
            if (tls_)
                co_await asio::async_write(stream_, asio::buffer(writing_buf_), use_awaitable);
            else
                co_await asio::async_write(stream_.next_layer(), asio::buffer(writing_buf_), use_awaitable);
            writing_buf_.clear();
        }
    } catch (const std::exception&) {
        close(false);
    }
    writing_ = false;
    if (closing_) close(false);
}

void Connection::close(bool say_goodbye) {
    if (!open_) return;
    if (say_goodbye && tls_) {
        // The stream close goes out after whatever is queued; the socket closes
        // once it is written, without waiting for the server's answer (ejabberd
        // delays it by ~100 ms).
        send("</stream:stream>");
        closing_ = true;
        return;
    }
    open_ = false;
    boost::system::error_code ec;
    stream_.next_layer().close(ec);
    watchdog_.cancel();
}

void Connection::abort() {
    if (!open_) return;
    open_ = false;
    boost::system::error_code ec;
    stream_.next_layer().set_option(asio::socket_base::linger(true, 0), ec);
    stream_.next_layer().close(ec);
    watchdog_.cancel();
}

asio::awaitable<void> Connection::open_stream(const Target& target) {
    send(stream_header(target.domain));
    auto [name, element] = co_await read_element();
    if (name != "stream:features") fail("expected stream features, got " + element.substr(0, 200));
    features_ = std::move(element);
}

// STARTTLS (RFC 6120 §5), once per connection.
asio::awaitable<void> Connection::start_tls(const Target& target) {
    if (tls_) co_return;
    co_await open_stream(target);
    if (features_.find("<starttls") == std::string::npos) fail("no STARTTLS offered");
    send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    auto [name, element] = co_await read_element();
    if (name != "proceed") fail("STARTTLS refused: " + element);
    while (writing_) co_await asio::post(stream_.get_executor(), use_awaitable);
    co_await stream_.async_handshake(asio::ssl::stream_base::client, use_awaitable);
    tls_ = true;
}

asio::awaitable<void> Connection::authenticate(const Target& target, const std::string& user, ScramCache& cache,
                                               double timeout_s) {
    arm(timeout_s);
    co_await start_tls(target);
    co_await open_stream(target);
    if (features_.find("SCRAM-SHA-1<") == std::string::npos) fail("SCRAM-SHA-1 not offered: " + features_);
    ScramExchange scram(user, cache);
    send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>" +
         base64_encode(scram.client_first()) + "</auth>");
    auto [cname, challenge] = co_await read_element();
    if (cname != "challenge") fail(user + ": expected a SASL challenge, got " + challenge);
    auto server_first = base64_decode(element_text(challenge));
    if (!server_first) fail("bad challenge encoding");
    auto final_msg = scram.client_final(*server_first);
    if (!final_msg) fail("bad server-first message: " + *server_first);
    send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64_encode(*final_msg) + "</response>");
    auto [sname, success] = co_await read_element();
    if (sname != "success") fail(user + ": authentication failed: " + success);
    auto server_final = base64_decode(element_text(success));
    if (!server_final || !scram.verify_server_final(*server_final)) fail("bad server signature");
    co_await open_stream(target);
    disarm();
}

asio::awaitable<void> Connection::login(const Target& target, const std::string& user,
                                        const std::string& resource, ScramCache& cache, double timeout_s, bool sm,
                                        const std::string& presence) {
    if (target.raw) co_return;
    co_await authenticate(target, user, cache, timeout_s);
    arm(timeout_s);
    send("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource +
         "</resource></bind></iq>");
    auto [bname, bound] = co_await read_element();
    if (bname != "iq" || !is_result(bound)) fail("bind failed: " + bound);
    // Enabled before the initial presence, so that every stanza the server sends
    // to this session (the presence echo too) is counted on both sides.
    if (sm) co_await enable_sm();
    send(presence.empty() ? "<presence/>" : presence);
    if (sm) ++this->sm.sent;
    disarm();
}

asio::awaitable<void> Connection::enable_sm() {
    if (features_.find("urn:xmpp:sm:3") == std::string::npos) fail("stream management (urn:xmpp:sm:3) not offered");
    send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
    auto [name, element] = co_await read_element();
    if (name != "enabled") fail("stream management refused: " + element.substr(0, 300));
    std::string resume = attribute(element, "resume");
    if (resume != "true" && resume != "1") fail("stream management enabled without resumption: " + element);
    sm = SmState{};
    sm.enabled = true;
    sm.id = attribute(element, "id");
    if (sm.id.empty()) fail("<enabled/> without an id: " + element);
}

asio::awaitable<void> Connection::register_account(const Target& target, const std::string& user,
                                                   const std::string& password, double timeout_s) {
    arm(timeout_s);
    co_await start_tls(target);
    co_await open_stream(target);
    send("<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>" + user +
         "</username><password>" + password + "</password></query></iq>");
    auto [name, answer] = co_await read_element();
    // An account left from an earlier run answers <conflict/>: it exists, which is what we need.
    if (name != "iq" || (!is_result(answer) && answer.find("conflict") == std::string::npos))
        fail(user + ": registration refused: " + answer);
    disarm();
}

asio::awaitable<bool> Connection::iq(const std::string& xml, const std::string& id, double timeout_s) {
    arm(timeout_s);
    send(xml);
    for (;;) {
        auto [name, element] = co_await read_element();
        if (name == "iq" && (element.find("id='" + id + "'") != std::string::npos ||
                             element.find("id=\"" + id + "\"") != std::string::npos)) {
            disarm();
            co_return is_result(element);
        }
    }
}

asio::awaitable<void> Connection::read_tokens(TokenSink& sink) {
    // Whatever arrived after the last login step (presence, messages) is scanned too.
    std::array<char, 16384> buf;
    std::string carry = std::move(in_);
    in_.clear();
    try {
        for (;;) {
            if (!carry.empty()) {
                std::size_t pos = 0, last_used = 0;
                while ((pos = carry.find("@@", pos)) != std::string::npos) {
                    if (carry.size() - pos < token_size) break;
                    std::uint32_t sender = 0;
                    std::uint64_t ts = 0;
                    if (read_token(carry.data() + pos, sender, ts)) {
                        sink.on_token(*this, sender, ts);
                        pos += token_size;
                        last_used = pos;
                    } else {
                        pos += 2;
                        last_used = pos;
                    }
                }
                // Keep only a tail that may hold the start of a split token.
                std::size_t keep_from = carry.size() > token_size ? carry.size() - token_size : 0;
                if (last_used > keep_from) keep_from = last_used;
                carry.erase(0, keep_from);
                sink.on_chunk_done(*this);
            }
            std::size_t n = co_await stream_.async_read_some(asio::buffer(buf), use_awaitable);
            carry.append(buf.data(), n);
        }
    } catch (const std::exception&) {
        open_ = false;
    }
}

asio::awaitable<void> Connection::read_elements(ElementSink& sink) {
    try {
        for (;;) {
            std::size_t from = 0;
            for (;;) {
                SplitElement e;
                std::size_t consumed = 0;
                std::string_view rest(in_.data() + from, in_.size() - from);
                bool complete = loadgen::next_element(rest, e, consumed);
                from += consumed;
                if (!complete) break;
                sink.on_element(*this, e.name, rest.substr(e.begin, e.end - e.begin));
            }
            in_.erase(0, from);
            sink.on_chunk_done(*this);
            co_await read_more();
        }
    } catch (const std::exception&) {
        open_ = false;
    }
}

}  // namespace loadgen
