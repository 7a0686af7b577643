#include "xmq/domain_names.hpp"

#include <algorithm>
#include <cctype>

#include "xmpp/jid.hpp"

namespace xmq {

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string normalize_domain_name(std::string_view domain) {
    auto norm = xmpp::Jid::normalize_domain(domain);
    return norm ? *norm : ascii_lower(domain);
}

}  // namespace xmq
