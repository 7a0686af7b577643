#include "conf/contact_addresses_reader.hpp"

#include <algorithm>

namespace conf::detail {

void read_contact_addresses(TomlReader& r, const toml::table& root, xmpp::contact::Addresses& out) {
    const toml::table* t = r.table(root, "", "contact_addresses");
    if (!t) return;
    std::vector<std::string> keys;
    for (const auto& kind : xmpp::contact::kinds) keys.emplace_back(kind.name);
    r.check_keys(*t, "contact_addresses", keys);
    for (const auto& kind : xmpp::contact::kinds) {
        std::vector<TomlReader::StringItem> items;
        const toml::array* list = r.string_array(*t, "contact_addresses", kind.name, items);
        if (!list) continue;
        const std::string key = TomlReader::join("contact_addresses", kind.name);
        if (items.size() > xmpp::contact::max_addresses)
            r.error(*list, key, "at most " + std::to_string(xmpp::contact::max_addresses) + " addresses");
        auto& addresses = out.*kind.list;
        addresses.clear();
        for (auto& item : items) {
            if (!xmpp::contact::is_contact_uri(item.value))
                r.error(*item.node, item.key,
                        '"' + item.value + "\" is not a mailto:, xmpp: or https:// URI (at most " +
                            std::to_string(xmpp::contact::max_address_bytes) + " bytes, no spaces)");
            else if (std::find(addresses.begin(), addresses.end(), item.value) != addresses.end())
                r.error(*item.node, item.key, '"' + item.value + "\" is listed twice");
            else
                addresses.push_back(std::move(item.value));
        }
    }
}

}  // namespace conf::detail
