#include "delivery_tag.hpp"

#include <charconv>

#include "xml_split.hpp"

namespace loadgen {

namespace {

// XML's five predefined entities and numeric references below 128 (what a
// server writes in an attribute value); false on anything else.
bool unescape(std::string_view in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '&') {
            out += in[i];
            continue;
        }
        std::size_t semi = in.find(';', i);
        if (semi == std::string_view::npos) return false;
        std::string_view entity = in.substr(i + 1, semi - i - 1);
        if (entity == "amp")
            out += '&';
        else if (entity == "lt")
            out += '<';
        else if (entity == "gt")
            out += '>';
        else if (entity == "apos")
            out += '\'';
        else if (entity == "quot")
            out += '"';
        else if (entity.size() > 1 && entity[0] == '#') {
            unsigned code = 0;
            bool hex = entity[1] == 'x';
            std::string_view digits = entity.substr(hex ? 2 : 1);
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
            if (ec != std::errc() || end != digits.data() + digits.size() || code == 0 || code > 127) return false;
            out += static_cast<char>(code);
        } else {
            return false;
        }
        i = semi;
    }
    return true;
}

void escape_into(std::string& out, std::string_view value) {
    for (char ch : value) {
        switch (ch) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += ch;
        }
    }
}

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }

}  // namespace

std::optional<DeliveryTag> delivery_tag(std::string_view stanza) {
    // Children only: skip the stanza's own start tag.
    std::size_t pos = stanza.find('>');
    while (pos != std::string_view::npos && (pos = stanza.find("<xmq", pos)) != std::string_view::npos) {
        std::size_t after = pos + 4;
        if (after >= stanza.size() || !(is_space(stanza[after]) || stanza[after] == '/' || stanza[after] == '>')) {
            pos = after;  // <xmqfoo>: another element
            continue;
        }
        std::string_view element = stanza.substr(pos);
        pos = after;
        std::string raw_ns = attribute(element, "xmlns"), ns;
        if (!unescape(raw_ns, ns) || ns != "xmq:delivery") continue;
        DeliveryTag tag;
        std::string attempt_text;
        if (!unescape(attribute(element, "id"), tag.id) || !unescape(attribute(element, "attempt"), attempt_text))
            return std::nullopt;
        if (tag.id.empty()) return std::nullopt;
        for (char ch : tag.id)
            if (is_space(ch)) return std::nullopt;
        auto [end, ec] = std::from_chars(attempt_text.data(), attempt_text.data() + attempt_text.size(), tag.attempt);
        if (attempt_text.empty() || ec != std::errc() || end != attempt_text.data() + attempt_text.size() ||
            tag.attempt == 0)
            return std::nullopt;
        return tag;
    }
    return std::nullopt;
}

std::string ack_command(std::string_view route, std::string_view iq_id, const std::vector<std::string>& ids) {
    std::string out = "<iq type='set' id='";
    escape_into(out, iq_id);
    out += "' to='";
    escape_into(out, route);
    out += "'><xmq xmlns='xmq:command' command='ack' id='";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ' ';
        escape_into(out, ids[i]);
    }
    out += "'/></iq>";
    return out;
}

}  // namespace loadgen
