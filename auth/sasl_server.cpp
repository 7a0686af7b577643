// SaslServer over Cyrus SASL. How Cyrus is wired, and why:
//
// - sasl_server_init() gets no application name, so Cyrus reads no
//   <app>.conf from /etc/sasl2; every option comes from getopt_cb() below:
//   mech_list (the mechanisms we run; Cyrus adds -PLUS itself when channel
//   binding data is set), auxprop_plugin (ours only: sasldb is never asked),
//   canon_user_plugin INTERNAL, no auto_transition.
// - Secrets: Cyrus's SCRAM plugin asks the auxprop layer for the
//   authentication identity's "*authPassword" property and reads each value as
//   RFC 5803 text "SCRAM-SHA-256$<iter>:<b64 salt>$<b64 StoredKey>:<b64
//   ServerKey>", taking the first one whose scheme is the running mechanism.
//   Our in-process auxprop plugin ("xmqd") answers from the Account handed to
//   set_account(); it finds that SaslServer through the connection's own
//   checkpass callback context, so no global or thread-local state is involved.
// - Unknown users (and accounts lacking a hash) are answered with a made-up
//   secret whose salt is a keyed hash of the name, so SCRAM runs to its end and
//   fails there exactly as for a wrong password, and repeated probes see the
//   same salt.
// - PLAIN: Cyrus calls the SASL_CB_SERVER_USERDB_CHECKPASS callback, which
//   verifies the password against the stored SCRAM secret.
// - Names: a SASL_CB_CANON_USER callback applies Nodeprep to the
//   authentication identity and maps an authorization identity (a bare JID of
//   this host, or a localpart) to its localpart; no realm is passed to Cyrus, so
//   the canonical names are plain localparts. The proxy policy allows no
//   authorization identity other than the authenticated one.
#include "auth/sasl_server.hpp"

#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

#include "xmpp/jid.hpp"

namespace auth {
namespace {

constexpr const char* kPluginName = "xmqd";
constexpr const char* kAuthPasswordProp = "*authPassword";
constexpr const char* kService = "xmpp";
// Offer order: channel-bound first, then the stronger hash, PLAIN last.
constexpr std::array<std::string_view, 5> kPreference = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS",
                                                         "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"};

SaslServer::LogSink g_log_sink;
int g_log_level = 0;
std::string g_log_level_text = "0";
std::array<unsigned char, 32> g_decoy_key{};

// Cyrus stores every callback as int(*)(void); the detour through void(*)()
// tells the compiler the cast is meant.
template <class F>
sasl_callback_ft as_callback(F* f) {
    return reinterpret_cast<sasl_callback_ft>(reinterpret_cast<void (*)()>(f));
}

int getopt_cb(void*, const char*, const char* option, const char** result, unsigned* len) {
    if (option == nullptr || result == nullptr) return SASL_BADPARAM;
    struct Option {
        const char* name;
        const char* value;
    };
    static const Option kOptions[] = {
        // Cyrus matches "X-PLUS" to plugin X, so the base names cover both.
        {"mech_list", "SCRAM-SHA-256 SCRAM-SHA-1 PLAIN"},
        {"auxprop_plugin", kPluginName},
        {"canon_user_plugin", "INTERNAL"},
        // After our checkpass callback says no, Cyrus asks pwcheck_method too:
        // "auxprop" finds no userPassword through our plugin and fails as well.
        {"pwcheck_method", "auxprop"},
        {"auto_transition", "no"},
        {"scram_secret_generate", "no"},
    };
    const char* value = nullptr;
    if (std::strcmp(option, "log_level") == 0) value = g_log_level_text.c_str();
    for (const Option& o : kOptions) {
        if (std::strcmp(option, o.name) == 0) value = o.value;
    }
    if (value == nullptr) return SASL_FAIL;
    *result = value;
    if (len != nullptr) *len = static_cast<unsigned>(std::strlen(value));
    return SASL_OK;
}

int log_cb(void*, int level, const char* message) {
    if (g_log_sink && level <= g_log_level && message != nullptr) g_log_sink(level, message);
    return SASL_OK;
}

// Cyrus keeps a pointer to the global callbacks for the life of the process.
const sasl_callback_t kGlobalCallbacks[] = {
    {SASL_CB_GETOPT, as_callback(&getopt_cb), nullptr},
    {SASL_CB_LOG, as_callback(&log_cb), nullptr},
    {SASL_CB_LIST_END, nullptr, nullptr},
};

bool is_scram(std::string_view mech) { return mech.starts_with("SCRAM-"); }
bool is_plus(std::string_view mech) { return mech.ends_with("-PLUS"); }

// The localpart a name given by the client stands for on this host: a
// localpart, or "local@domain" with domain this host.
std::optional<std::string> local_of(std::string_view name, const std::string& domain) {
    if (name.find('@') == std::string_view::npos && name.find('/') == std::string_view::npos) {
        return xmpp::Jid::normalize_local(name);
    }
    auto jid = xmpp::Jid::parse(name);
    if (!jid || jid->local().empty() || !jid->is_bare() || jid->domain() != domain) {
        return std::nullopt;
    }
    return jid->local();
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
    return {reinterpret_cast<const char*>(out.data()), len};
}

SaslFailure map_failure(int code) {
    switch (code) {
        case SASL_BADPROT: return SaslFailure::malformed_request;
        case SASL_NOMECH: return SaslFailure::invalid_mechanism;
        case SASL_NOAUTHZ: return SaslFailure::invalid_authzid;
        case SASL_ENCRYPT: return SaslFailure::encryption_required;
        case SASL_TOOWEAK: return SaslFailure::mechanism_too_weak;
        case SASL_DISABLED: return SaslFailure::account_disabled;
        case SASL_EXPIRED: return SaslFailure::credentials_expired;
        case SASL_BADAUTH:
        case SASL_NOUSER:
        case SASL_NOVERIFY:
        case SASL_BADBINDING:
        case SASL_TRANS:
        case SASL_NOUSERPASS: return SaslFailure::not_authorized;
        default: return SaslFailure::temporary_auth_failure;  // NOMEM, FAIL, TRYAGAIN, UNAVAIL...
    }
}

SaslStep failure(SaslFailure f) {
    SaslStep s;
    s.kind = SaslStep::Kind::failure;
    s.failure = f;
    return s;
}

struct ConnDeleter {
    void operator()(sasl_conn_t* c) const { sasl_dispose(&c); }
};

}  // namespace

struct SaslServer::Impl {
    SaslOptions options;
    std::string domain;  // options.domain normalised
    std::optional<Account> account;
    bool account_fresh = false;  // set_account() since the last start()

    std::array<sasl_callback_t, 4> callbacks{};
    sasl_channel_binding_t binding{};
    std::unique_ptr<sasl_conn_t, ConnDeleter> conn;
    bool conn_used = false;

    std::string mechanism;
    bool active = false;
    int messages = 0;  // non-empty client messages fed to the running mechanism
    bool password_rejected = false;
    std::string buffer;  // NUL-terminated copy of the message Cyrus reads

    explicit Impl(SaslOptions o);
    bool open_conn();
    std::vector<std::string> auth_passwords(std::string_view user) const;
    ScramSecret decoy(std::string_view user, ScramHash hash) const;
    const ScramSecret* secret_of(std::string_view user) const;
    SaslStep finish(int code, const char* out, unsigned outlen);
    std::optional<SaslFailure> check_gs2_flag(std::string_view client_first) const;

    static int checkpass_cb(sasl_conn_t*, void* ctx, const char* user, const char* pass,
                            unsigned passlen, struct propctx*);
    static int canon_cb(sasl_conn_t*, void* ctx, const char* in, unsigned inlen, unsigned flags,
                        const char*, char* out, unsigned out_max, unsigned* out_len);
    static int authorize_cb(sasl_conn_t* conn, void*, const char* requested, unsigned rlen,
                            const char* authid, unsigned alen, const char*, unsigned,
                            struct propctx*);
    static Impl* of(const sasl_utils_t* utils);
    static int auxprop_lookup(void*, sasl_server_params_t* sparams, unsigned flags,
                              const char* user, unsigned ulen);
    static int auxprop_init(const sasl_utils_t*, int max_version, int* out_version,
                            sasl_auxprop_plug_t** plug, const char*);
};

SaslServer::Impl::Impl(SaslOptions o) : options(std::move(o)) {
    domain = xmpp::Jid::normalize_domain(options.domain).value_or(options.domain);
    callbacks = {{
        {SASL_CB_SERVER_USERDB_CHECKPASS, as_callback(&checkpass_cb), this},
        {SASL_CB_CANON_USER, as_callback(&canon_cb), this},
        {SASL_CB_PROXY_POLICY, as_callback(&authorize_cb), this},
        {SASL_CB_LIST_END, nullptr, nullptr},
    }};
    if (options.channel_binding) {
        binding.name = options.channel_binding->type.c_str();
        binding.critical = 0;  // plain SCRAM stays on offer next to -PLUS
        binding.len = options.channel_binding->data.size();
        binding.data = reinterpret_cast<const unsigned char*>(options.channel_binding->data.data());
    }
    open_conn();
}

bool SaslServer::Impl::open_conn() {
    conn.reset();
    conn_used = false;
    sasl_conn_t* c = nullptr;
    // No user realm: canonical names stay bare localparts (see canon_cb).
    if (sasl_server_new(kService, domain.empty() ? nullptr : domain.c_str(), nullptr, nullptr,
                        nullptr, callbacks.data(), SASL_SUCCESS_DATA, &c) != SASL_OK) {
        return false;
    }
    conn.reset(c);
    sasl_security_properties_t props{};
    props.maxbufsize = 0;  // XMPP negotiates no SASL security layer
    props.security_flags = SASL_SEC_NOANONYMOUS | (options.secure ? 0 : SASL_SEC_NOPLAINTEXT);
    if (sasl_setprop(c, SASL_SEC_PROPS, &props) != SASL_OK) return (conn.reset(), false);
    if (options.channel_binding && sasl_setprop(c, SASL_CHANNEL_BINDING, &binding) != SASL_OK) {
        return (conn.reset(), false);
    }
    return true;
}

const ScramSecret* SaslServer::Impl::secret_of(std::string_view user) const {
    if (!account || account->user != user || account->domain != domain) return nullptr;
    const ScramSecret* best = nullptr;
    for (const ScramSecret& s : account->secrets) {
        if (!best || s.hash == ScramHash::sha256) best = &s;
    }
    return best;
}

ScramSecret SaslServer::Impl::decoy(std::string_view user, ScramHash hash) const {
    const std::string_view key(reinterpret_cast<const char*>(g_decoy_key.data()),
                               g_decoy_key.size());
    std::string seed(mechanism_name(hash));
    seed.append(1, '\0').append(domain).append(1, '\0').append(user);
    const std::string root = hmac_sha256(key, seed);
    const std::size_t size = hash == ScramHash::sha256 ? 32 : 20;
    ScramSecret s;
    s.hash = hash;
    s.iterations = options.scram_iterations;
    s.salt = root.substr(0, 16);
    s.stored_key = hmac_sha256(root, "stored").substr(0, size);
    s.server_key = hmac_sha256(root, "server").substr(0, size);
    return s;
}

std::vector<std::string> SaslServer::Impl::auth_passwords(std::string_view user) const {
    std::vector<std::string> values;
    bool have_sha1 = false;
    bool have_sha256 = false;
    if (account && account->user == user && account->domain == domain) {
        for (const ScramSecret& s : account->secrets) {
            values.push_back(to_auth_password(s));
            (s.hash == ScramHash::sha1 ? have_sha1 : have_sha256) = true;
        }
    }
    if (!have_sha1) values.push_back(to_auth_password(decoy(user, ScramHash::sha1)));
    if (!have_sha256) values.push_back(to_auth_password(decoy(user, ScramHash::sha256)));
    return values;
}

int SaslServer::Impl::checkpass_cb(sasl_conn_t*, void* ctx, const char* user, const char* pass,
                                   unsigned passlen, struct propctx*) {
    auto* self = static_cast<Impl*>(ctx);
    const std::string_view name = user ? user : "";
    const std::string_view password(pass ? pass : "", pass ? passlen : 0);
    bool ok = false;
    if (const ScramSecret* secret = self->secret_of(name)) {
        ok = verify_password(*secret, password);
    } else {
        // Same work as for a real account: the answer time tells nothing.
        verify_password(self->decoy(name, ScramHash::sha256), password);
    }
    if (!ok) self->password_rejected = true;
    return ok ? SASL_OK : SASL_BADAUTH;
}

int SaslServer::Impl::canon_cb(sasl_conn_t*, void* ctx, const char* in, unsigned inlen,
                               unsigned flags, const char*, char* out, unsigned out_max,
                               unsigned* out_len) {
    auto* self = static_cast<Impl*>(ctx);
    const std::string_view name(in ? in : "", in ? inlen : 0);
    const auto local = local_of(name, self->domain);
    if (!local || local->empty()) {
        // An invalid authentication identity names no account: not-authorized.
        return (flags & SASL_CU_AUTHID) ? SASL_NOUSER : SASL_NOAUTHZ;
    }
    if (local->size() >= out_max) return SASL_BUFOVER;
    std::memcpy(out, local->data(), local->size());
    out[local->size()] = '\0';
    *out_len = static_cast<unsigned>(local->size());
    return SASL_OK;
}

int SaslServer::Impl::authorize_cb(sasl_conn_t* conn, void*, const char* requested, unsigned rlen,
                                   const char* authid, unsigned alen, const char*, unsigned,
                                   struct propctx*) {
    if (std::string_view(requested, rlen) == std::string_view(authid, alen)) return SASL_OK;
    sasl_seterror(conn, SASL_NOLOG, "authorization identity differs from authentication identity");
    return SASL_NOAUTHZ;
}

SaslServer::Impl* SaslServer::Impl::of(const sasl_utils_t* utils) {
    sasl_callback_ft proc = nullptr;
    void* ctx = nullptr;
    if (!utils || !utils->conn ||
        utils->getcallback(utils->conn, SASL_CB_SERVER_USERDB_CHECKPASS, &proc, &ctx) != SASL_OK ||
        proc != as_callback(&checkpass_cb)) {
        return nullptr;
    }
    return static_cast<Impl*>(ctx);
}

int SaslServer::Impl::auxprop_lookup(void*, sasl_server_params_t* sparams, unsigned flags,
                                     const char* user, unsigned ulen) {
    if (!sparams || !user) return SASL_BADPARAM;
    const Impl* self = of(sparams->utils);
    if (!self) return SASL_NOMECH;  // not one of our connections
    // Authorization identities carry no properties here ("*" names belong to
    // the authentication identity).
    if (flags & SASL_AUXPROP_AUTHZID) return SASL_OK;
    const struct propval* props = sparams->utils->prop_get(sparams->propctx);
    if (!props) return SASL_OK;
    for (const struct propval* p = props; p->name; ++p) {
        if (std::strcmp(p->name, kAuthPasswordProp) != 0) continue;
        if (p->values) {
            if (!(flags & SASL_AUXPROP_OVERRIDE)) continue;
            sparams->utils->prop_erase(sparams->propctx, p->name);
        }
        for (const std::string& v : self->auth_passwords(std::string_view(user, ulen))) {
            const int r = sparams->utils->prop_set(sparams->propctx, p->name, v.c_str(),
                                                   static_cast<int>(v.size()));
            if (r != SASL_OK) return r;
        }
    }
    return SASL_OK;
}

int SaslServer::Impl::auxprop_init(const sasl_utils_t*, int max_version, int* out_version,
                                   sasl_auxprop_plug_t** plug, const char*) {
    static sasl_auxprop_plug_t plugin = {
        0, 0, nullptr, nullptr, &auxprop_lookup, const_cast<char*>(kPluginName), nullptr};
    if (max_version < SASL_AUXPROP_PLUG_VERSION) return SASL_BADVERS;
    *out_version = SASL_AUXPROP_PLUG_VERSION;
    *plug = &plugin;
    return SASL_OK;
}

// RFC 5802 §6: "p" goes with a -PLUS mechanism and only with one.
std::optional<SaslFailure> SaslServer::Impl::check_gs2_flag(std::string_view client_first) const {
    const bool says_plus = client_first.starts_with("p=");
    if (says_plus != is_plus(mechanism)) return SaslFailure::malformed_request;
    return std::nullopt;
}

SaslStep SaslServer::Impl::finish(int code, const char* out, unsigned outlen) {
    SaslStep step;
    // Only then is `out` alive: on failure Cyrus frees the mechanism's buffer.
    if ((code == SASL_CONTINUE || code == SASL_OK) && out != nullptr) step.data.assign(out, outlen);
    if (code == SASL_CONTINUE) {
        step.kind = SaslStep::Kind::challenge;
        return step;
    }
    active = false;
    if (code == SASL_OK) {
        const void* name = nullptr;
        if (sasl_getprop(conn.get(), SASL_USERNAME, &name) != SASL_OK || name == nullptr) {
            return failure(SaslFailure::temporary_auth_failure);
        }
        step.user = static_cast<const char*>(name);
        // Defence in depth: success can only come from this account's secret.
        if (!account || account->user != step.user || account->domain != domain) {
            return failure(SaslFailure::not_authorized);
        }
        step.kind = SaslStep::Kind::success;
        return step;
    }
    SaslFailure f = map_failure(code);
    if (f != SaslFailure::invalid_authzid && f != SaslFailure::temporary_auth_failure) {
        // Cyrus reports a wrong SCRAM proof (and a channel binding mismatch)
        // as a protocol error; past the client-first-message any failure is
        // the credentials' fault. A rejected PLAIN password likewise.
        if ((is_scram(mechanism) && messages >= 2) || password_rejected) {
            f = SaslFailure::not_authorized;
        }
    }
    return failure(f);
}

std::optional<std::string> SaslServer::global_init() {
    static std::once_flag once;
    static std::optional<std::string> error;
    std::call_once(once, [] {
        if (RAND_bytes(g_decoy_key.data(), static_cast<int>(g_decoy_key.size())) != 1) {
            error = "cannot seed the SASL decoy key: no randomness";
            return;
        }
        // No application name: Cyrus then reads no configuration file.
        int r = sasl_server_init(kGlobalCallbacks, nullptr);
        if (r != SASL_OK) {
            error = std::string("Cyrus SASL initialisation failed: ") +
                    sasl_errstring(r, nullptr, nullptr);
            return;
        }
        r = sasl_auxprop_add_plugin(kPluginName, &Impl::auxprop_init);
        if (r != SASL_OK) {
            error = std::string("Cyrus SASL refused the account plugin: ") +
                    sasl_errstring(r, nullptr, nullptr);
            return;
        }
        const char** mechs = sasl_global_listmech();
        for (std::string_view needed : {"SCRAM-SHA-1", "SCRAM-SHA-256"}) {
            bool found = false;
            for (const char** m = mechs; m && *m; ++m) found = found || needed == *m;
            if (!found) {
                error = "Cyrus SASL has no " + std::string(needed) +
                        " mechanism (install the SCRAM plugin, e.g. libsasl2-modules)";
                return;
            }
        }
    });
    return error;
}

void SaslServer::set_log_sink(LogSink sink, int max_level) {
    g_log_sink = std::move(sink);
    g_log_level = g_log_sink ? max_level : 0;
    g_log_level_text = std::to_string(g_log_level);
}

SaslServer::SaslServer(SaslOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

SaslServer::~SaslServer() = default;

std::vector<std::string> SaslServer::mechanisms() const {
    std::vector<std::string> offered;
    if (!impl_->conn) return offered;
    const char* list = nullptr;
    unsigned len = 0;
    int count = 0;
    if (sasl_listmech(impl_->conn.get(), nullptr, "", " ", "", &list, &len, &count) != SASL_OK ||
        list == nullptr) {
        return offered;
    }
    std::vector<std::string_view> loaded;
    std::string_view rest(list, len);
    while (!rest.empty()) {
        const auto sp = rest.find(' ');
        loaded.push_back(rest.substr(0, sp));
        rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    }
    const SaslOptions& o = impl_->options;
    for (std::string_view mech : kPreference) {
        if (std::find(loaded.begin(), loaded.end(), mech) == loaded.end()) continue;
        if (is_plus(mech) && !o.channel_binding) continue;
        if (mech == "PLAIN" && !(o.secure && o.allow_plain)) continue;
        if (mech.starts_with("SCRAM-SHA-256") && !o.allow_scram_sha256) continue;
        offered.emplace_back(mech);
    }
    return offered;
}

void SaslServer::set_account(std::optional<Account> account) {
    impl_->account = std::move(account);
    impl_->account_fresh = true;
    looked_up_ = true;
}

SaslStep SaslServer::start(std::string_view mechanism, std::string_view initial_response) {
    Impl& d = *impl_;
    if (!d.account_fresh) {
        d.account.reset();
        looked_up_ = false;
    }
    d.account_fresh = false;
    d.active = false;

    const auto offered = mechanisms();
    if (std::find(offered.begin(), offered.end(), mechanism) == offered.end()) {
        if (mechanism == "PLAIN" && d.options.allow_plain && !d.options.secure) {
            return failure(SaslFailure::encryption_required);
        }
        return failure(SaslFailure::invalid_mechanism);
    }
    // A fresh Cyrus connection per exchange: nothing of an aborted or failed
    // attempt (identities, propctx values) carries over.
    if ((d.conn_used || !d.conn) && !d.open_conn()) {
        return failure(SaslFailure::temporary_auth_failure);
    }
    d.conn_used = true;
    d.mechanism = std::string(mechanism);
    d.active = true;
    d.messages = 0;
    d.password_rejected = false;

    if (is_scram(mechanism) && !initial_response.empty()) {
        if (auto f = d.check_gs2_flag(initial_response)) {
            d.active = false;
            return failure(*f);
        }
    }
    d.buffer.assign(initial_response);
    if (!initial_response.empty()) ++d.messages;
    const char* out = nullptr;
    unsigned outlen = 0;
    const int r = sasl_server_start(d.conn.get(), d.mechanism.c_str(),
                                    initial_response.empty() ? nullptr : d.buffer.c_str(),
                                    static_cast<unsigned>(d.buffer.size()), &out, &outlen);
    return d.finish(r, out, outlen);
}

SaslStep SaslServer::step(std::string_view response) {
    Impl& d = *impl_;
    if (!d.active) return failure(SaslFailure::malformed_request);
    if (is_scram(d.mechanism) && d.messages == 0 && !response.empty()) {
        if (auto f = d.check_gs2_flag(response)) {
            d.active = false;
            return failure(*f);
        }
    }
    d.buffer.assign(response);
    if (!response.empty()) ++d.messages;
    const char* out = nullptr;
    unsigned outlen = 0;
    const int r = sasl_server_step(d.conn.get(), d.buffer.c_str(),
                                   static_cast<unsigned>(d.buffer.size()), &out, &outlen);
    return d.finish(r, out, outlen);
}

}  // namespace auth
