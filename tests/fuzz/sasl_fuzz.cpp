// libFuzzer target: SASL message parsing and whole SaslServer exchanges with
// arbitrary client messages. The input picks a mechanism, whether the stream
// is secure and has channel binding, and whether the account exists; then
// comes the initial response and up to three further responses.
// peek_username() runs on every message; each step must end in a challenge,
// success or failure, and success is impossible without the password.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "auth/sasl_server.hpp"
#include "auth/scram.hpp"

namespace {

constexpr const char* kMechanisms[] = {"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS",
                                       "SCRAM-SHA-256-PLUS", "PLAIN", "DIGEST-MD5", ""};

const auth::Account& juliet() {
    // A password no fuzzer will guess; iterations low to keep runs fast.
    static const auth::Account a{"juliet", "localhost",
                                 auth::make_scram_secrets("9f3b-unguessable-7c1d", 4096)};
    return a;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (auto err = auth::SaslServer::global_init()) std::abort();
    (void)juliet();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const std::string mechanism = in.PickValueInArray(kMechanisms);
    auth::SaslOptions options;
    options.domain = "localhost";
    options.secure = in.ConsumeBool();
    if (in.ConsumeBool()) options.channel_binding = auth::ChannelBinding{"tls-unique", "0123456789ab"};
    const bool known = in.ConsumeBool();
    const bool lookup_first = in.ConsumeBool();

    std::string message = in.ConsumeRandomLengthString(2048);
    (void)auth::SaslServer::peek_username(mechanism, message);

    auth::SaslServer sasl(options);
    (void)sasl.mechanisms();
    auto account = known ? std::optional<auth::Account>(juliet()) : std::nullopt;
    if (lookup_first) sasl.set_account(account);
    auth::SaslStep step = sasl.start(mechanism, message);
    for (int round = 0; round < 3 && step.kind == auth::SaslStep::Kind::challenge; ++round) {
        message = in.ConsumeRandomLengthString(2048);
        (void)auth::SaslServer::peek_username(mechanism, message);
        if (!sasl.has_account_lookup()) sasl.set_account(account);
        step = sasl.step(message);
    }
    if (step.kind == auth::SaslStep::Kind::success) std::abort();  // nobody knows the password
    return 0;
}
