// libFuzzer target: xmpp::StreamParser fed arbitrary bytes in arbitrary
// chunks, with small limits so that the limit paths run too. Every stanza
// it delivers is serialized (the serializer must take whatever the parser
// builds). The first input byte picks the chunk size; a stream open or
// close may trigger reset() the way a session's STARTTLS/SASL restart does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/serializer.hpp"
#include "xmpp/stream_parser.hpp"

namespace {

struct Handler final : xmpp::StreamHandler {
    xmpp::StreamParser* parser = nullptr;
    unsigned stanzas = 0;
    bool reset_after_stanza = false;

    void on_stream_open(const xmpp::StreamHeader& header) override {
        // Touch every field: they must be valid strings.
        volatile std::size_t n = header.name.size() + header.xmlns.size() + header.default_ns.size() +
                                 header.prefix.size() + header.to.size() + header.from.size() +
                                 header.id.size() + header.version.size() + header.lang.size();
        (void)n;
    }
    void on_stanza(xmpp::Element&& stanza) override {
        std::string out;
        xmpp::serialize(stanza, out);
        // A stream restart from inside a callback, as after <success/>.
        if (reset_after_stanza && ++stanzas == 2) parser->reset();
    }
    void on_stream_close() override {}
    void on_stream_error(xmpp::StreamError condition, std::string_view text) override {
        volatile auto c = condition;
        volatile std::size_t n = text.size();
        (void)c;
        (void)n;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + (data[0] & 0x3f) * 7;
    const bool small_limits = data[0] & 0x40;
    Handler handler;
    handler.reset_after_stanza = data[0] & 0x80;
    xmpp::ParserLimits limits;
    if (small_limits) limits = {2048, 8, 8};
    xmpp::StreamParser parser(handler, limits);
    handler.parser = &parser;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    while (!rest.empty()) {
        const std::size_t n = std::min(chunk, rest.size());
        if (!parser.feed(rest.substr(0, n))) break;
        rest.remove_prefix(n);
        if (rest.size() % 3 == 0) parser.release_idle_memory();
    }
    return 0;
}
