// libFuzzer target: the server-to-server negotiation (S2sIncomingMachine,
// S2sOutgoingMachine) fed the elements the stream parser makes of arbitrary
// bytes, as a remote server's stream would bring them. The first byte
// chooses the direction (bit 0: incoming, else outgoing), whether the
// transport counts as secure (bit 1), whether TLS is required (bit 2), and,
// for incoming, whether the pair (xmqd.test, remote.test) was accepted
// already (bit 3), so stanzas reach the checks past dialback. Each step must
// be consistent: a routed stanza is in jabber:client with from and to of
// the accepted pair; an answer to a claim names domains of ours.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/s2s/s2s_negotiation_machine.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stream_parser.hpp"

namespace {

bool is_local(std::string_view domain) { return domain == "xmqd.test" || domain == "conference.xmqd.test"; }

struct Driver final : xmpp::StreamHandler {
    Driver(bool incoming, bool secure, bool require_tls, bool accepted)
        : incoming_(incoming),
          secure_(secure),
          in_(require_tls, is_local),
          out_("xmqd.test", "remote.test", require_tls) {
        if (accepted) in_.claim_decided("xmqd.test", "remote.test", true);
    }

    void on_stream_open(const xmpp::StreamHeader& header) override {
        const server::S2sStep step = incoming_ ? in_.on_header(header, secure_) : out_.on_header(header);
        if (step.kind == server::S2sStep::Kind::send_features && !is_local(step.local)) std::abort();
        ended_ |= step.kind == server::S2sStep::Kind::stream_error;
    }
    void on_stanza(xmpp::Element&& element) override {
        if (ended_) return;
        const server::S2sStep step = incoming_ ? in_.on_element(element, secure_) : out_.on_element(element, secure_);
        using Kind = server::S2sStep::Kind;
        switch (step.kind) {
        case Kind::stanza: {
            if (element.xmlns() != xmpp::ns::client) std::abort();
            auto from = xmpp::Jid::parse(element.attr_or("from"));
            auto to = xmpp::Jid::parse(element.attr_or("to"));
            if (!from || !to || !in_.accepts(to->domain(), from->domain()) || !is_local(to->domain())) std::abort();
            break;
        }
        case Kind::verify_claim:
        case Kind::answer_verify:
        case Kind::claim_accepted:
            if (!is_local(step.local) || step.remote.empty()) std::abort();
            if (step.kind == Kind::verify_claim) in_.claim_decided(step.local, step.remote, step.key.size() % 2 == 0);
            break;
        case Kind::start_tls:
        case Kind::proceed_tls:
            secure_ = true;
            break;
        case Kind::stream_error:
            ended_ = true;
            break;
        default:
            break;
        }
    }
    void on_stream_close() override { ended_ = true; }
    void on_stream_error(xmpp::StreamError, std::string_view) override { ended_ = true; }

    bool incoming_;
    bool secure_;
    bool ended_ = false;
    server::S2sIncomingMachine in_;
    server::S2sOutgoingMachine out_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    Driver driver(data[0] & 1, data[0] & 2, data[0] & 4, data[0] & 8);
    xmpp::StreamParser parser(driver);
    parser.feed(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    return 0;
}
