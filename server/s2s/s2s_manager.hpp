// S2sManager: federation's side of the Router (RemoteServers). It keeps one
// outgoing stream per pair of domains (a domain of ours, a remote one),
// made on the first stanza between them and reused until it idles out; the
// stanzas wait in order in it while it is set up. Incoming streams ask it to
// verify a dialback claim with the claimed domain's authoritative server,
// which goes over the outgoing stream to that domain (XEP-0220 §2.3). It
// holds what both directions share: the resolver (c-ares), the TLS client
// context, the dialback secret.
//
// Made by the Server when an s2s listener is configured, before the
// listeners; outlives every stream (they refer to it). Thread-safe: one
// mutex over the table of outgoing streams; each stream lives on a worker.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "server/core/services.hpp"
#include "server/net/resolver.hpp"
#include "server/router/remote_servers.hpp"

namespace server {

class S2sOutgoing;

class S2sManager final : public RemoteServers {
public:
    using ExecutorSource = std::function<boost::asio::any_io_executor()>;

    // `next_executor`: the worker a new outgoing stream runs on. Throws
    // std::runtime_error when the resolver or the TLS client context cannot
    // be made.
    S2sManager(Services& services, ExecutorSource next_executor);
    ~S2sManager() override;

    // RemoteServers.
    void send(const xmpp::Element& stanza, const xmpp::Jid& from, const xmpp::Jid& to) override;

    // Asks the authoritative server of `remote` whether `key` is the one it
    // issued for the stream `stream_id` from `remote` to `local`; `done` gets
    // the answer (false when the server cannot be reached in time), on any thread.
    void verify(const std::string& local, const std::string& remote, const std::string& stream_id,
                const std::string& key, std::function<void(bool)> done);

    // An outgoing stream ended or gave up: the next stanza for its pair makes a new one.
    void forget(const std::string& local, const std::string& remote, const S2sOutgoing* stream);

    std::vector<std::string> remote_domains() const override;

    const std::string& dialback_secret() const { return secret_; }
    Resolver& resolver() { return resolver_; }
    std::shared_ptr<boost::asio::ssl::context> client_tls() const { return client_tls_; }

private:
    std::shared_ptr<S2sOutgoing> outgoing(const std::string& local, const std::string& remote);

    Services& services_;
    ExecutorSource next_executor_;
    std::string secret_;
    Resolver resolver_;
    std::shared_ptr<boost::asio::ssl::context> client_tls_;
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, std::shared_ptr<S2sOutgoing>> outgoing_;
};

}  // namespace server
