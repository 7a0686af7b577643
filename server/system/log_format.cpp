#include "server/system/log_format.hpp"

namespace server {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), 0 when ill-formed.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else return 0;
    if (i + n > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    return n;
}

void append_hex_escape(std::string& out, unsigned char c, std::string_view prefix) {
    static constexpr char digits[] = "0123456789abcdef";
    out += prefix;
    out += digits[c >> 4];
    out += digits[c & 0xF];
}

// Text lines keep bytes as they are but never break: control characters
// (a newline in a peer's text) become \xNN.
void append_text(std::string& out, std::string_view s) {
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) append_hex_escape(out, c, "\\x");
        else out += ch;
    }
}

void append_json_field(std::string& out, std::string_view name, std::string_view value) {
    out += ",\"";
    out += name;
    out += "\":\"";
    out += json_escape(value);
    out += '"';
}

}  // namespace

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence(s, i);
            if (n == 0) {
                out += kReplacement;
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) append_hex_escape(out, c, "\\u00");
                else out += static_cast<char>(c);
        }
        ++i;
    }
    return out;
}

std::string format_log_line(const LogRecord& record, conf::LogFormat format) {
    std::string out;
    out.reserve(record.message.size() + record.jid.size() + 96);
    if (format == conf::LogFormat::json) {
        out += "{\"time\":\"";
        out += json_escape(record.time);
        out += '"';
        append_json_field(out, "level", conf::to_string(record.level));
        if (record.session) {
            out += ",\"session\":";
            out += std::to_string(*record.session);
        }
        if (!record.jid.empty()) append_json_field(out, "jid", record.jid);
        append_json_field(out, "message", record.message);
        out += "}\n";
        return out;
    }
    out += record.time;
    out += ' ';
    out += conf::to_string(record.level);
    out += ' ';
    if (record.session) {
        out += "session ";
        out += std::to_string(*record.session);
        out += ' ';
    }
    if (!record.jid.empty()) {
        append_text(out, record.jid);
        out += ' ';
    }
    append_text(out, record.message);
    out += '\n';
    return out;
}

}  // namespace server
