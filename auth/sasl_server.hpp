// SaslServer: one SASL negotiation on one stream, driven through Cyrus SASL.
//
// Cyrus runs the mechanisms (SCRAM-SHA-1, SCRAM-SHA-256, their -PLUS variants
// when channel binding data is given, PLAIN on encrypted streams). It reads the
// account's SCRAM secrets through an in-process auxprop plugin and checks PLAIN
// passwords through a checkpass callback; both read the Account handed in with
// set_account() — the session fetches it from the store off the I/O thread
// first (peek_username() tells whom to fetch). So no step touches storage.
//
// global_init() once per process before any SaslServer. A SaslServer is owned by
// one session and used on that session's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/account_store.hpp"

namespace auth {

struct ChannelBinding {
    std::string type;  // "tls-exporter" (TLS 1.3) or "tls-unique" (TLS 1.2)
    std::string data;
};

struct SaslOptions {
    std::string domain;          // the virtual host being logged into (realm)
    bool secure = false;         // the stream is encrypted
    bool allow_plain = true;     // PLAIN offered when secure
    // SCRAM-SHA-256(-PLUS) offered. Off where accounts hold SCRAM-SHA-1
    // secrets only (imported from Prosody): clients pick the strongest
    // mechanism offered and would fail on those accounts.
    bool allow_scram_sha256 = true;
    std::optional<ChannelBinding> channel_binding;
    // Iteration count new accounts get: an unknown user is answered with a
    // made-up secret of this count, so SCRAM's first reply does not tell.
    std::uint32_t scram_iterations = 4096;
};

enum class SaslFailure {
    aborted, account_disabled, credentials_expired, encryption_required, incorrect_encoding,
    invalid_authzid, invalid_mechanism, malformed_request, mechanism_too_weak, not_authorized,
    temporary_auth_failure,
};
std::string_view to_string(SaslFailure);  // "not-authorized", ...

struct SaslStep {
    enum class Kind { challenge, success, failure } kind = Kind::failure;
    std::string data;          // challenge, or additional data with success (raw, not base64)
    SaslFailure failure = SaslFailure::not_authorized;
    std::string user;          // normalised localpart on success
};

class SaslServer {
public:
    // Returns an error text when Cyrus cannot be initialised or lacks SCRAM.
    // Idempotent and thread-safe; the first call's outcome is kept.
    static std::optional<std::string> global_init();

    // Where Cyrus's log lines go: levels as in sasl.h (1 error, 2 auth
    // failure, 3 warning ... 6 trace); lines above max_level are dropped.
    // Nothing is logged unless a sink is set. Call before global_init().
    using LogSink = std::function<void(int level, std::string_view message)>;
    static void set_log_sink(LogSink sink, int max_level = 1);

    explicit SaslServer(SaslOptions options);
    ~SaslServer();
    SaslServer(const SaslServer&) = delete;
    SaslServer& operator=(const SaslServer&) = delete;

    // Mechanisms to offer on this stream, in preference order.
    std::vector<std::string> mechanisms() const;

    // The authentication identity (localpart) a client message names, when it
    // can be read before running the mechanism: SCRAM client-first-message,
    // PLAIN message. Normalised (Nodeprep) like the store's keys; a trailing
    // "@domain" is dropped. nullopt when the message names nobody (yet) or
    // the name is no valid localpart.
    static std::optional<std::string> peek_username(std::string_view mechanism,
                                                    std::string_view message);
    // The account the next step authenticates against; nullopt = no such user
    // (the step then fails with not-authorized, exactly as a wrong password).
    // Call it once peek_username() has named someone. A lookup made before
    // start() serves that exchange; start() without one clears
    // has_account_lookup(), so the session looks up for the step that brings
    // the name (a mechanism started without initial response). A lookup the
    // store failed (AccountLookup's error) is no answer to hand in: the
    // session ends the exchange with temporary-auth-failure instead.
    void set_account(std::optional<Account> account);
    bool has_account_lookup() const { return looked_up_; }

    SaslStep start(std::string_view mechanism, std::string_view initial_response);
    SaslStep step(std::string_view response);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    bool looked_up_ = false;
};

}  // namespace auth
