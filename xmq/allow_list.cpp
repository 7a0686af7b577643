#include "xmq/allow_list.hpp"

#include "xmq/domain_names.hpp"

namespace xmq {

AllowList::AllowList(const std::vector<std::string>& patterns, std::string parent_host)
    : empty_(patterns.empty()), parent_host_(std::move(parent_host)) {
    for (const std::string& p : patterns) {
        std::string_view pattern = p;
        if (pattern.starts_with("*@")) {
            users_at_.insert(normalize_domain_name(pattern.substr(2)));
        } else if (pattern.find('@') != std::string_view::npos) {
            auto jid = xmpp::Jid::parse(pattern);
            bare_.insert(jid ? jid->bare_string() : ascii_lower(pattern));
        } else {
            domains_.insert(normalize_domain_name(pattern));
        }
    }
}

bool AllowList::allows(const xmpp::Jid& who) const {
    if (empty_) return !who.local().empty() && who.domain() == parent_host_;
    if (domains_.contains(who.domain())) return true;
    if (who.local().empty()) return false;
    if (users_at_.contains(who.domain())) return true;
    return !bare_.empty() && bare_.contains(who.bare_string());
}

}  // namespace xmq
