// The parts of SaslServer that read client messages without Cyrus
// (peek_username) and name failures; pure functions.
#include "auth/sasl_server.hpp"
#include "xmpp/jid.hpp"

namespace auth {
namespace {

// RFC 5802 saslname: "=2C" is ',', "=3D" is '=', any other '=' is invalid.
std::optional<std::string> decode_saslname(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '=') {
            out += in[i];
        } else if (in.substr(i + 1, 2) == "2C") {
            out += ',';
            i += 2;
        } else if (in.substr(i + 1, 2) == "3D") {
            out += '=';
            i += 2;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

// The n= value of a SCRAM client-first-message ("gs2-header,n=user,r=nonce").
std::optional<std::string> scram_username(std::string_view msg) {
    // gs2-header = cbind-flag "," [authzid] ","
    const auto c1 = msg.find(',');
    if (c1 == std::string_view::npos) return std::nullopt;
    const auto c2 = msg.find(',', c1 + 1);
    if (c2 == std::string_view::npos) return std::nullopt;
    std::string_view bare = msg.substr(c2 + 1);
    if (!bare.starts_with("n=")) return std::nullopt;
    bare.remove_prefix(2);
    const auto end = bare.find(',');
    if (end == std::string_view::npos) return std::nullopt;  // a nonce must follow
    return decode_saslname(bare.substr(0, end));
}

}  // namespace

std::optional<std::string> SaslServer::peek_username(std::string_view mechanism,
                                                     std::string_view message) {
    std::optional<std::string> name;
    if (mechanism.starts_with("SCRAM-")) {
        name = scram_username(message);
    } else if (mechanism == "PLAIN") {
        // authzid NUL authcid NUL passwd
        const auto n1 = message.find('\0');
        const auto n2 = n1 == std::string_view::npos ? n1 : message.find('\0', n1 + 1);
        if (n2 != std::string_view::npos) name = std::string(message.substr(n1 + 1, n2 - n1 - 1));
    }
    if (!name || name->empty()) return std::nullopt;
    std::string_view local = *name;
    if (const auto at = local.find('@'); at != std::string_view::npos) local = local.substr(0, at);
    return xmpp::Jid::normalize_local(local);
}

std::string_view to_string(SaslFailure f) {
    switch (f) {
        case SaslFailure::aborted: return "aborted";
        case SaslFailure::account_disabled: return "account-disabled";
        case SaslFailure::credentials_expired: return "credentials-expired";
        case SaslFailure::encryption_required: return "encryption-required";
        case SaslFailure::incorrect_encoding: return "incorrect-encoding";
        case SaslFailure::invalid_authzid: return "invalid-authzid";
        case SaslFailure::invalid_mechanism: return "invalid-mechanism";
        case SaslFailure::malformed_request: return "malformed-request";
        case SaslFailure::mechanism_too_weak: return "mechanism-too-weak";
        case SaslFailure::not_authorized: return "not-authorized";
        case SaslFailure::temporary_auth_failure: return "temporary-auth-failure";
    }
    return "not-authorized";
}

}  // namespace auth
