#include "xmpp/stored_xml.hpp"

#include "xmpp/namespaces.hpp"
#include "xmpp/stream_parser.hpp"

namespace xmpp {

namespace {

class FirstElement final : public xmpp::StreamHandler {
public:
    std::optional<xmpp::Element> element;
    void on_stream_open(const xmpp::StreamHeader&) override {}
    void on_stanza(xmpp::Element&& stanza) override {
        if (!element) element = std::move(stanza);
    }
    void on_stream_close() override {}
    void on_stream_error(xmpp::StreamError, std::string_view) override {}
};

}  // namespace

std::optional<xmpp::Element> parse_stored(std::string_view xml) {
    FirstElement handler;
    xmpp::ParserLimits limits;
    limits.max_stanza_bytes = xml.size() + 1024;
    xmpp::StreamParser parser(handler, limits);
    parser.feed("<stream:stream xmlns='" + std::string(ns::client) + "' xmlns:stream='" + std::string(ns::stream) +
                "'>");
    parser.feed(xml);
    return std::move(handler.element);
}

}  // namespace xmpp
