// SaslServer driven through whole exchanges: a small SCRAM client written here
// (RFC 5802 client side, own OpenSSL calls) and PLAIN messages, against Cyrus.
#include "auth/sasl_server.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>

namespace {

using auth::SaslFailure;
using auth::SaslServer;
using auth::SaslStep;
using Kind = auth::SaslStep::Kind;

constexpr const char* kDomain = "example.com";

void init_sasl() {
    const auto err = SaslServer::global_init();
    REQUIRE_MESSAGE(!err.has_value(), err.value_or(""));
}

auth::Account account(std::string user, std::string_view password) {
    return {std::move(user), kDomain, auth::make_scram_secrets(password, 4096)};
}

auth::SaslOptions options(bool secure, std::optional<auth::ChannelBinding> cb = std::nullopt) {
    auth::SaslOptions o;
    o.domain = kDomain;
    o.secure = secure;
    o.channel_binding = std::move(cb);
    return o;
}

std::string b64(std::string_view raw) { return auth::base64_encode(raw); }
std::string unb64(std::string_view text) { return auth::base64_decode(text).value_or("<bad>"); }

// The client side of RFC 5802, independent of auth/scram.cpp's key code.
class ScramClient {
public:
    ScramClient(std::string mechanism, std::string user, std::string password,
                std::string authzid = {})
        : mech_(std::move(mechanism)),
          user_(std::move(user)),
          password_(std::move(password)),
          authzid_(std::move(authzid)) {}

    // Channel binding the client uses ("p=<type>") with its view of the data.
    void bind(std::string type, std::string data) {
        cb_type_ = std::move(type);
        cb_data_ = std::move(data);
    }

    std::string first() {
        gs2_ = (cb_type_.empty() ? std::string("n") : "p=" + cb_type_) + "," +
               (authzid_.empty() ? "" : "a=" + authzid_) + ",";
        bare_ = "n=" + user_ + ",r=" + nonce_;
        return gs2_ + bare_;
    }

    // client-final-message for the server-first-message, or "" if it is bad.
    std::string final(const std::string& server_first) {
        std::map<char, std::string> attrs;
        std::size_t pos = 0;
        while (pos < server_first.size()) {
            auto end = server_first.find(',', pos);
            if (end == std::string::npos) end = server_first.size();
            if (end - pos >= 2 && server_first[pos + 1] == '=') {
                attrs[server_first[pos]] = server_first.substr(pos + 2, end - pos - 2);
            }
            pos = end + 1;
        }
        if (!attrs['r'].starts_with(nonce_) || attrs['r'].size() <= nonce_.size()) return {};
        salt_seen_ = attrs['s'];
        const std::string salt = unb64(attrs['s']);
        const int iterations = std::stoi(attrs['i']);
        const EVP_MD* md = sha256() ? EVP_sha256() : EVP_sha1();
        salted_.assign(EVP_MD_get_size(md), '\0');
        PKCS5_PBKDF2_HMAC(password_.data(), int(password_.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()), int(salt.size()),
                          iterations, md, int(salted_.size()),
                          reinterpret_cast<unsigned char*>(salted_.data()));
        const std::string client_key = hmac(salted_, "Client Key");
        std::string stored(EVP_MAX_MD_SIZE, '\0');
        unsigned len = 0;
        EVP_Digest(client_key.data(), client_key.size(),
                   reinterpret_cast<unsigned char*>(stored.data()), &len, md, nullptr);
        stored.resize(len);
        const std::string without_proof = "c=" + b64(gs2_ + cb_data_) + ",r=" + attrs['r'];
        auth_message_ = bare_ + "," + server_first + "," + without_proof;
        std::string proof = hmac(stored, auth_message_);
        for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = char(proof[i] ^ client_key[i]);
        return without_proof + ",p=" + b64(proof);
    }

    // Whether the server-final-message proves the server knew the ServerKey.
    bool verify(const std::string& server_final) const {
        return server_final == "v=" + b64(hmac(hmac(salted_, "Server Key"), auth_message_));
    }

    const std::string& salt_seen() const { return salt_seen_; }

private:
    bool sha256() const { return mech_.starts_with("SCRAM-SHA-256"); }
    std::string hmac(std::string_view key, std::string_view data) const {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        HMAC(sha256() ? EVP_sha256() : EVP_sha1(), key.data(), int(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
        return {reinterpret_cast<char*>(out), len};
    }

    std::string mech_, user_, password_, authzid_;
    std::string nonce_ = "fyko+d2lbbFgONRv9qkxdawL";
    std::string cb_type_, cb_data_, gs2_, bare_, salted_, auth_message_, salt_seen_;
};

struct Outcome {
    SaslStep last;
    bool server_verified = false;
};

// client-first as initial response, then client-final; the session's part
// (peek, look up, set_account) done by hand with the given directory.
Outcome run_scram(SaslServer& server, ScramClient& client, const std::string& mech,
                  const std::map<std::string, auth::Account>& directory) {
    const std::string first = client.first();
    const auto who = SaslServer::peek_username(mech, first);
    std::optional<auth::Account> found;
    if (who && directory.count(*who)) found = directory.at(*who);
    server.set_account(found);
    Outcome o;
    o.last = server.start(mech, first);
    if (o.last.kind != Kind::challenge) return o;
    const std::string final = client.final(o.last.data);
    REQUIRE_FALSE(final.empty());
    o.last = server.step(final);
    if (o.last.kind == Kind::success) o.server_verified = client.verify(o.last.data);
    return o;
}

std::string plain(std::string_view authzid, std::string_view authcid, std::string_view pw) {
    std::string m(authzid);
    m += '\0';
    m += authcid;
    m += '\0';
    m += pw;
    return m;
}

const std::map<std::string, auth::Account>& directory() {
    static const std::map<std::string, auth::Account> d = {
        {"alice", account("alice", "wonderland")},
        {"änne", account("änne", "pässword")},
    };
    return d;
}

}  // namespace

TEST_CASE("global_init succeeds and is idempotent") {
    CHECK_FALSE(SaslServer::global_init().has_value());
    CHECK_FALSE(SaslServer::global_init().has_value());
}

TEST_CASE("mechanisms offered depend on the stream") {
    init_sasl();
    using V = std::vector<std::string>;
    CHECK(SaslServer(options(false)).mechanisms() == V{"SCRAM-SHA-256", "SCRAM-SHA-1"});
    CHECK(SaslServer(options(true)).mechanisms() == V{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"});
    auto no_plain = options(true);
    no_plain.allow_plain = false;
    CHECK(SaslServer(no_plain).mechanisms() == V{"SCRAM-SHA-256", "SCRAM-SHA-1"});
    auto sha1_only = options(true, auth::ChannelBinding{"tls-exporter", std::string(32, 'x')});
    sha1_only.allow_scram_sha256 = false;
    CHECK(SaslServer(sha1_only).mechanisms() == V{"SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN"});
    const auth::ChannelBinding cb{"tls-exporter", std::string(32, 'x')};
    CHECK(SaslServer(options(true, cb)).mechanisms() ==
          V{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"});
}

TEST_CASE("SCRAM exchanges succeed with the right password and prove the server") {
    init_sasl();
    for (std::string mech : {"SCRAM-SHA-1", "SCRAM-SHA-256"}) {
        CAPTURE(mech);
        SaslServer server(options(false));
        ScramClient client(mech, "alice", "wonderland");
        const Outcome o = run_scram(server, client, mech, directory());
        REQUIRE(o.last.kind == Kind::success);
        CHECK(o.last.user == "alice");
        CHECK(o.server_verified);
    }
}

TEST_CASE("SCRAM fails with not-authorized for a wrong password and an unknown user alike") {
    init_sasl();
    for (std::string mech : {"SCRAM-SHA-1", "SCRAM-SHA-256"}) {
        CAPTURE(mech);
        SaslServer wrong(options(false));
        ScramClient bad_password(mech, "alice", "wonderlanD");
        Outcome o = run_scram(wrong, bad_password, mech, directory());
        CHECK(o.last.kind == Kind::failure);
        CHECK(o.last.failure == SaslFailure::not_authorized);

        // The unknown user gets a challenge too, with a salt that stays put.
        SaslServer unknown(options(false));
        ScramClient nobody(mech, "mallory", "wonderland");
        o = run_scram(unknown, nobody, mech, directory());
        CHECK(o.last.kind == Kind::failure);
        CHECK(o.last.failure == SaslFailure::not_authorized);
        SaslServer again(options(false));
        ScramClient nobody_again(mech, "mallory", "other");
        run_scram(again, nobody_again, mech, directory());
        CHECK_FALSE(nobody.salt_seen().empty());
        CHECK(nobody.salt_seen() == nobody_again.salt_seen());
    }
}

TEST_CASE("SCRAM without an initial response: the lookup happens before the step") {
    init_sasl();
    SaslServer server(options(false));
    // An earlier attempt, aborted by the client after its lookup.
    server.set_account(directory().at("alice"));
    REQUIRE(server.start("SCRAM-SHA-256", "").kind == Kind::challenge);
    CHECK(server.has_account_lookup());
    SaslStep s = server.start("SCRAM-SHA-256", "");
    REQUIRE(s.kind == Kind::challenge);
    CHECK(s.data.empty());
    CHECK_FALSE(server.has_account_lookup());  // start() consumed nothing: fetch now

    ScramClient client("SCRAM-SHA-256", "alice", "wonderland");
    const std::string first = client.first();
    const auto who = SaslServer::peek_username("SCRAM-SHA-256", first);
    REQUIRE(who == std::optional<std::string>("alice"));
    server.set_account(directory().at(*who));
    CHECK(server.has_account_lookup());
    s = server.step(first);
    REQUIRE(s.kind == Kind::challenge);
    s = server.step(client.final(s.data));
    REQUIRE(s.kind == Kind::success);
    CHECK(client.verify(s.data));
    CHECK(s.user == "alice");

    // The exchange is over: further steps are refused.
    CHECK(server.step("c=biws").kind == Kind::failure);
}

TEST_CASE("user names are normalised with Nodeprep, not just lower-cased") {
    init_sasl();
    SaslServer server(options(false));
    ScramClient client("SCRAM-SHA-256", "ÄNNE", "pässword");
    const Outcome o = run_scram(server, client, "SCRAM-SHA-256", directory());
    REQUIRE(o.last.kind == Kind::success);
    CHECK(o.last.user == "änne");
}

TEST_CASE("SCRAM authorization identity must be the user's own JID") {
    init_sasl();
    {
        SaslServer server(options(false));
        ScramClient client("SCRAM-SHA-1", "alice", "wonderland", "alice@example.com");
        const Outcome o = run_scram(server, client, "SCRAM-SHA-1", directory());
        REQUIRE(o.last.kind == Kind::success);
        CHECK(o.last.user == "alice");
    }
    for (std::string authzid : {"bob@example.com", "alice@elsewhere.org"}) {
        CAPTURE(authzid);
        SaslServer server(options(false));
        ScramClient client("SCRAM-SHA-1", "alice", "wonderland", authzid);
        const Outcome o = run_scram(server, client, "SCRAM-SHA-1", directory());
        CHECK(o.last.kind == Kind::failure);
        CHECK(o.last.failure == SaslFailure::invalid_authzid);
    }
}

TEST_CASE("malformed SCRAM messages are malformed-request") {
    init_sasl();
    SaslServer server(options(false));
    server.set_account(directory().at("alice"));
    SaslStep s = server.start("SCRAM-SHA-1", "x,,n=alice,r=abcdefgh");
    CHECK(s.kind == Kind::failure);
    CHECK(s.failure == SaslFailure::malformed_request);
    s = server.start("SCRAM-SHA-1", "n,,r=abcdefgh,n=alice");
    CHECK(s.failure == SaslFailure::malformed_request);
}

TEST_CASE("PLAIN checks the password against the stored SCRAM secret") {
    init_sasl();
    auto attempt = [](std::string_view message) {
        SaslServer server(options(true));
        const auto who = SaslServer::peek_username("PLAIN", message);
        std::optional<auth::Account> found;
        if (who && directory().count(*who)) found = directory().at(*who);
        server.set_account(found);
        return server.start("PLAIN", message);
    };
    SaslStep s = attempt(plain("", "alice", "wonderland"));
    REQUIRE(s.kind == Kind::success);
    CHECK(s.user == "alice");
    CHECK(attempt(plain("alice@example.com", "Alice", "wonderland")).kind == Kind::success);

    s = attempt(plain("", "alice", "wonderlan"));
    CHECK(s.kind == Kind::failure);
    CHECK(s.failure == SaslFailure::not_authorized);
    s = attempt(plain("", "mallory", "wonderland"));
    CHECK(s.kind == Kind::failure);
    CHECK(s.failure == SaslFailure::not_authorized);
    s = attempt(plain("bob@example.com", "alice", "wonderland"));
    CHECK(s.failure == SaslFailure::invalid_authzid);
}

TEST_CASE("PLAIN without an initial response") {
    init_sasl();
    SaslServer server(options(true));
    SaslStep s = server.start("PLAIN", "");
    REQUIRE(s.kind == Kind::challenge);
    server.set_account(directory().at("alice"));
    s = server.step(plain("", "alice", "wonderland"));
    REQUIRE(s.kind == Kind::success);
    CHECK(s.user == "alice");
}

TEST_CASE("PLAIN is not offered on an insecure stream, nor when disabled") {
    init_sasl();
    SaslServer insecure(options(false));
    insecure.set_account(directory().at("alice"));
    SaslStep s = insecure.start("PLAIN", plain("", "alice", "wonderland"));
    CHECK(s.kind == Kind::failure);
    CHECK(s.failure == SaslFailure::encryption_required);

    auto o = options(true);
    o.allow_plain = false;
    SaslServer disabled(o);
    disabled.set_account(directory().at("alice"));
    s = disabled.start("PLAIN", plain("", "alice", "wonderland"));
    CHECK(s.failure == SaslFailure::invalid_mechanism);

    SaslServer server(options(true));
    CHECK(server.start("DIGEST-MD5", "").failure == SaslFailure::invalid_mechanism);
    CHECK(server.start("EXTERNAL", "").failure == SaslFailure::invalid_mechanism);
}

TEST_CASE("SCRAM-PLUS binds to the channel") {
    init_sasl();
    const std::string data(32, '\x42');
    const auth::ChannelBinding cb{"tls-exporter", data};
    for (std::string mech : {"SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS"}) {
        CAPTURE(mech);
        {
            SaslServer server(options(true, cb));
            ScramClient client(mech, "alice", "wonderland");
            client.bind("tls-exporter", data);
            const Outcome o = run_scram(server, client, mech, directory());
            REQUIRE(o.last.kind == Kind::success);
            CHECK(o.server_verified);
        }
        {  // a man in the middle sees other channel binding data
            SaslServer server(options(true, cb));
            ScramClient client(mech, "alice", "wonderland");
            client.bind("tls-exporter", std::string(32, '\x43'));
            const Outcome o = run_scram(server, client, mech, directory());
            CHECK(o.last.kind == Kind::failure);
            CHECK(o.last.failure == SaslFailure::not_authorized);
        }
        {  // another binding type than the server's
            SaslServer server(options(true, cb));
            ScramClient client(mech, "alice", "wonderland");
            client.bind("tls-unique", data);
            const Outcome o = run_scram(server, client, mech, directory());
            CHECK(o.last.kind == Kind::failure);
        }
        {  // no channel binding data: no -PLUS
            SaslServer server(options(true));
            ScramClient client(mech, "alice", "wonderland");
            client.bind("tls-exporter", data);
            server.set_account(directory().at("alice"));
            CHECK(server.start(mech, client.first()).failure == SaslFailure::invalid_mechanism);
        }
    }
    {  // a -PLUS mechanism needs the "p" flag, and only -PLUS may carry it
        SaslServer server(options(true, cb));
        server.set_account(directory().at("alice"));
        CHECK(server.start("SCRAM-SHA-256-PLUS", "n,,n=alice,r=abcdefgh").failure ==
              SaslFailure::malformed_request);
        SaslServer other(options(true, cb));
        other.set_account(directory().at("alice"));
        CHECK(other.start("SCRAM-SHA-256", "p=tls-exporter,,n=alice,r=abcdefgh").failure ==
              SaslFailure::malformed_request);
    }
    {  // "y" (client thinks the server cannot bind) while the server can: downgrade
        SaslServer server(options(true, cb));
        ScramClient client("SCRAM-SHA-256", "alice", "wonderland");
        std::string first = client.first();
        first[0] = 'y';
        server.set_account(directory().at("alice"));
        SaslStep s = server.start("SCRAM-SHA-256", first);
        REQUIRE(s.kind == Kind::challenge);
        // The client's c= must repeat its header "y,,".
        std::string final = client.final(s.data);
        const std::string wrong_c = "c=" + b64("n,,");
        final.replace(0, wrong_c.size(), "c=" + b64("y,,"));
        s = server.step(final);
        CHECK(s.kind == Kind::failure);
        CHECK(s.failure == SaslFailure::not_authorized);
    }
    {  // TLS 1.2 sessions bind with tls-unique
        const std::string finished(12, '\x07');
        SaslServer server(options(true, auth::ChannelBinding{"tls-unique", finished}));
        ScramClient client("SCRAM-SHA-1-PLUS", "alice", "wonderland");
        client.bind("tls-unique", finished);
        const Outcome o = run_scram(server, client, "SCRAM-SHA-1-PLUS", directory());
        CHECK(o.last.kind == Kind::success);
        CHECK(o.server_verified);
    }
    {  // plain SCRAM still works next to -PLUS
        SaslServer server(options(true, cb));
        ScramClient client("SCRAM-SHA-256", "alice", "wonderland");
        CHECK(run_scram(server, client, "SCRAM-SHA-256", directory()).last.kind == Kind::success);
    }
}

TEST_CASE("peek_username") {
    using O = std::optional<std::string>;
    CHECK(SaslServer::peek_username("SCRAM-SHA-1", "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL") ==
          O("user"));
    CHECK(SaslServer::peek_username("SCRAM-SHA-256-PLUS", "p=tls-exporter,,n=Bob,r=x") == O("bob"));
    CHECK(SaslServer::peek_username("SCRAM-SHA-1", "n,a=admin@example.com,n=u=2Cv=3Dw,r=x") ==
          O("u,v=w"));
    CHECK(SaslServer::peek_username("SCRAM-SHA-1", "n,,n=alice@example.com,r=x") == O("alice"));
    CHECK(SaslServer::peek_username("SCRAM-SHA-1", "n,,n=ÄNNE,r=x") == O("änne"));
    CHECK_FALSE(SaslServer::peek_username("SCRAM-SHA-1", "n=user,r=abc"));
    CHECK_FALSE(SaslServer::peek_username("SCRAM-SHA-1", "n,,n=user"));
    CHECK_FALSE(SaslServer::peek_username("SCRAM-SHA-1", "n,,r=abc,n=user"));
    CHECK_FALSE(SaslServer::peek_username("SCRAM-SHA-1", "n,,n=us=2Xer,r=abc"));
    CHECK_FALSE(SaslServer::peek_username("SCRAM-SHA-1", "n,,n=,r=abc"));
    CHECK_FALSE(SaslServer::peek_username("SCRAM-SHA-1", "n,,n=a b,r=abc"));  // not a localpart
    CHECK_FALSE(SaslServer::peek_username("SCRAM-SHA-1", ""));
    CHECK(SaslServer::peek_username("PLAIN", plain("", "alice", "pw")) == O("alice"));
    CHECK(SaslServer::peek_username("PLAIN", plain("admin", "Bob", "pw")) == O("bob"));
    CHECK_FALSE(SaslServer::peek_username("PLAIN", std::string("alice\0pw", 8)));
    CHECK_FALSE(SaslServer::peek_username("PLAIN", plain("", "", "pw")));
    CHECK_FALSE(SaslServer::peek_username("DIGEST-MD5", "username=\"alice\""));
}

TEST_CASE("failure names are the RFC 6120 element names") {
    CHECK(auth::to_string(SaslFailure::not_authorized) == "not-authorized");
    CHECK(auth::to_string(SaslFailure::temporary_auth_failure) == "temporary-auth-failure");
    CHECK(auth::to_string(SaslFailure::invalid_authzid) == "invalid-authzid");
    CHECK(auth::to_string(SaslFailure::encryption_required) == "encryption-required");
    CHECK(auth::to_string(SaslFailure::malformed_request) == "malformed-request");
}

TEST_CASE("Cyrus log lines reach the sink only when one is set") {
    init_sasl();
    std::vector<std::string> lines;
    SaslServer::set_log_sink([&](int, std::string_view m) { lines.emplace_back(m); }, 2);
    {
        SaslServer server(options(false));
        ScramClient client("SCRAM-SHA-1", "alice", "wrong");
        CHECK(run_scram(server, client, "SCRAM-SHA-1", directory()).last.kind == Kind::failure);
    }
    CHECK_FALSE(lines.empty());
    SaslServer::set_log_sink(nullptr);
    lines.clear();
    {
        SaslServer server(options(false));
        ScramClient client("SCRAM-SHA-1", "alice", "wrong");
        CHECK(run_scram(server, client, "SCRAM-SHA-1", directory()).last.kind == Kind::failure);
    }
    CHECK(lines.empty());
}

TEST_CASE("SaslServers on different threads do not disturb each other") {
    init_sasl();
    std::atomic<int> successes{0};
    std::atomic<int> refusals{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 8; ++i) {
                const bool right = (i + t) % 2 == 0;
                const std::string mech = i % 3 == 0 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
                SaslServer server(options(false));
                ScramClient client(mech, "alice", right ? "wonderland" : "nope");
                const Outcome o = run_scram(server, client, mech, directory());
                const bool ok = o.last.kind == Kind::success && o.server_verified;
                (ok == right ? successes : refusals)++;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(successes == 32);
    CHECK(refusals == 0);
}
