// Client: one signed-in resource of a C2sHarness, for tests of the feature
// modules that read as a conversation: the client says a stanza, the server
// answers, and what each client received is read back as parsed stanzas.
//
//     test::Client juliet(h, "juliet", "r0meo", "balcony");
//     const auto answer = juliet.iq("get", "<query xmlns='jabber:iq:roster'/>");
//     CHECK(answer.attr_or("type") == "result");
//
// On the test's thread only, like the harness.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../c2s_harness.hpp"
#include "auth/scram.hpp"
#include "xmpp/element.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stream_parser.hpp"

namespace test {

// Stanzas in the XML a server wrote inside its stream.
inline std::vector<xmpp::Element> parse_stanzas(std::string_view xml) {
    struct Collect final : xmpp::StreamHandler {
        std::vector<xmpp::Element> stanzas;
        void on_stream_open(const xmpp::StreamHeader&) override {}
        void on_stanza(xmpp::Element&& stanza) override { stanzas.push_back(std::move(stanza)); }
        void on_stream_close() override {}
        void on_stream_error(xmpp::StreamError, std::string_view) override {}
    } collect;
    xmpp::StreamParser parser(collect);
    parser.feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
    parser.feed(xml);
    return std::move(collect.stanzas);
}

// The stanzas named `name` among `stanzas` (with attribute type = `type` when given).
inline std::vector<xmpp::Element> only(const std::vector<xmpp::Element>& stanzas, std::string_view name,
                                       std::string_view type = {}) {
    std::vector<xmpp::Element> out;
    for (const auto& s : stanzas)
        if (s.name() == name && (type.empty() || s.attr_or("type") == type)) out.push_back(s);
    return out;
}

// The defined condition of a stanza error ("forbidden"), or empty.
inline std::string error_condition(const xmpp::Element& stanza) {
    const xmpp::Element* error = stanza.child("error");
    if (!error) return {};
    for (const auto& child : error->children())
        if (!child.is_text() && child.xmlns() == xmpp::ns::stanzas) return child.name();
    return {};
}

// The feature vars of a disco#info result.
inline std::vector<std::string> disco_features(const xmpp::Element& result) {
    std::vector<std::string> vars;
    if (const xmpp::Element* query = result.child("query", xmpp::ns::disco_info))
        for (const auto& child : query->children())
            if (!child.is_text() && child.name() == "feature") vars.push_back(std::string(child.attr_or("var")));
    return vars;
}

inline void add_account(C2sHarness& h, const std::string& user, const std::string& password) {
    REQUIRE(h.accounts.create({user, "localhost", auth::make_scram_secrets(password, 4096)}) == auth::StoreStatus::ok);
}

class Client {
public:
    Client(C2sHarness& h, std::string_view user, std::string_view password, std::string_view resource)
        : h_(h),
          pipe_(h.login(user, password, resource)),
          bare_(std::string(user) + "@localhost"),
          jid_(bare_ + "/" + std::string(resource)) {
        pipe_->output.clear();  // the answers of the login
    }

    const std::string& jid() const { return jid_; }    // full
    const std::string& bare() const { return bare_; }

    // Says `xml`; what the server wrote to this client since it last read.
    std::vector<xmpp::Element> say(std::string xml) {
        pipe_->push(std::move(xml));
        return received();
    }

    // What the server wrote to this client since it last read (said or
    // received), but for the answers iq() took.
    std::vector<xmpp::Element> received() {
        h_.settle();
        auto stanzas = std::move(unread_);
        unread_.clear();
        for (auto& stanza : parse_stanzas(pipe_->output)) stanzas.push_back(std::move(stanza));
        pipe_->output.clear();
        return stanzas;
    }

    // Sends an iq of `type` with `payload` (to `to`, when given) and returns
    // the server's answer to it, leaving whatever else came for received();
    // fails the test when there is no answer.
    xmpp::Element iq(std::string_view type, std::string_view payload, std::string_view to = {}) {
        const std::string id = "q" + std::to_string(++next_id_);
        std::string xml = "<iq type='" + std::string(type) + "' id='" + id + "'";
        if (!to.empty()) xml += " to='" + std::string(to) + "'";
        xml += ">" + std::string(payload) + "</iq>";
        std::optional<xmpp::Element> answer;
        for (auto& stanza : say(xml)) {
            if (!answer && stanza.name() == "iq" && stanza.attr_or("id") == id)
                answer = std::move(stanza);
            else
                unread_.push_back(std::move(stanza));
        }
        if (!answer) FAIL("no answer to " << xml);
        return answer ? *answer : xmpp::Element();
    }

    // The client's connection drops.
    void hang_up() {
        pipe_->hang_up();
        h_.settle();
    }

private:
    C2sHarness& h_;
    std::shared_ptr<MemoryPipe> pipe_;
    std::string bare_;
    std::string jid_;
    std::vector<xmpp::Element> unread_;  // what came with iq() answers
    int next_id_ = 0;
};

}  // namespace test
