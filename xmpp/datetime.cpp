#include "xmpp/datetime.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace xmpp {

namespace {

std::size_t format_seconds(std::time_t t, char* out, std::size_t size) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    // CCYY: four digits whatever the year (strftime's %Y writes year 226 as "226").
    const int n = std::snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return n > 0 ? std::min(static_cast<std::size_t>(n), size - 1) : 0;
}

}  // namespace

std::string xep82_datetime(std::int64_t unix_seconds) {
    char out[40];
    const std::size_t n = format_seconds(static_cast<std::time_t>(unix_seconds), out, sizeof out);
    return std::string(out, n) + 'Z';
}

std::string xep82_datetime_ms(std::chrono::system_clock::time_point t) {
    char out[48];
    const std::size_t n = format_seconds(std::chrono::system_clock::to_time_t(t), out, sizeof out);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    std::snprintf(out + n, sizeof out - n, ".%03dZ", static_cast<int>(ms));
    return out;
}

std::optional<std::int64_t> parse_xep82(std::string_view s) {
    // CCYY-MM-DDThh:mm:ss[.sss]TZD
    auto digits = [&](std::size_t pos, std::size_t n) -> std::optional<int> {
        if (pos + n > s.size()) return std::nullopt;
        int v = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
    auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || s.size() < 20 || s[4] != '-' || s[7] != '-' ||
        s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60)
        return std::nullopt;
    std::size_t pos = 19;
    if (s[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return std::nullopt;
    }
    std::int64_t offset = 0;
    if (pos < s.size() && s[pos] == 'Z') {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
        if (!oh || !om || pos + 6 != s.size() || s[pos + 3] != ':') return std::nullopt;
        offset = (s[pos] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

}  // namespace xmpp
