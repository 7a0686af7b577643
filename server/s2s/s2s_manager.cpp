#include "server/s2s/s2s_manager.hpp"

#include <set>
#include <stdexcept>

#include "server/s2s/dialback.hpp"
#include "server/s2s/s2s_outgoing.hpp"

namespace server {

namespace {

std::shared_ptr<boost::asio::ssl::context> make_client_tls() {
    namespace ssl = boost::asio::ssl;
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    // Peers are authenticated by dialback, which works with self-signed
    // certificates too; the certificate is not what vouches for them here.
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
    return context;
}

std::string secret_of(const conf::Config& config) {
    if (!config.s2s.dialback_secret.empty()) return config.s2s.dialback_secret;
    std::string secret = dialback::random_hex_id();
    if (secret.empty()) throw std::runtime_error("no randomness for a dialback secret");
    return secret;
}

}  // namespace

S2sManager::S2sManager(Services& services, ExecutorSource next_executor)
    : services_(services),
      next_executor_(std::move(next_executor)),
      secret_(secret_of(*services.current_config())),
      // Three lookups in a row (two SRV, then addresses) share the time.
      resolver_(std::chrono::duration_cast<std::chrono::milliseconds>(
                    services.current_config()->s2s.resolve_timeout) / 3),
      client_tls_(make_client_tls()) {}

S2sManager::~S2sManager() {
    std::lock_guard lock(mutex_);
    outgoing_.clear();
}

std::shared_ptr<S2sOutgoing> S2sManager::outgoing(const std::string& local, const std::string& remote) {
    std::shared_ptr<S2sOutgoing> stream;
    {
        std::lock_guard lock(mutex_);
        auto& slot = outgoing_[{local, remote}];
        if (slot) return slot;
        slot = std::make_shared<S2sOutgoing>(*this, services_, next_executor_(), local, remote);
        stream = slot;
    }
    stream->start();
    return stream;
}

void S2sManager::send(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to) {
    outgoing(from.domain(), to.domain())->enqueue(stanza);
}

void S2sManager::verify(const std::string& local, const std::string& remote, const std::string& stream_id,
                        const std::string& key, std::function<void(bool)> done) {
    outgoing(local, remote)->verify(stream_id, key, std::move(done));
}

void S2sManager::forget(const std::string& local, const std::string& remote, const S2sOutgoing* stream) {
    std::shared_ptr<S2sOutgoing> gone;  // released outside the lock
    std::lock_guard lock(mutex_);
    auto it = outgoing_.find({local, remote});
    if (it == outgoing_.end() || it->second.get() != stream) return;
    gone = std::move(it->second);
    outgoing_.erase(it);
}

std::vector<std::string> S2sManager::remote_domains() const {
    std::set<std::string> domains;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [pair, stream] : outgoing_) domains.insert(pair.second);
    }
    return {domains.begin(), domains.end()};
}

}  // namespace server
